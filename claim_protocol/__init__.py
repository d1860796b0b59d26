"""claim_protocol: placeholder until its issue lands."""
