"""The observed side: calendar services behind one narrow interface (`base.py`), the marker both stamp
(`marker.py`), the choice of one from the configuration (`factory.py`), and one package per protocol:
`ews/` (exchangelib) and `graph/` (Microsoft Graph over HTTP with msal)."""
