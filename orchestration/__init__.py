"""ccm-billing: monthly Medicare CCM billing from EHR and vendor reports."""
