"""The Microsoft Graph backend (Exchange Online): `backend.py` observes and applies, `write.py` turns each
write into its request, `mapping.py` maps events ⇄ the model, `http.py` holds tokens (msal), retries and
batches, `lease.py` the apply lease over the same record EWS uses."""
