"""The EWS backend (Exchange Server 2016/2019/SE) through exchangelib: `backend.py` observes and applies,
`read.py` reads GetItem answers, `mapping.py` maps items ⇄ the model, `bulk.py` batches writes, `marker.py`
the marker as exchangelib properties, `lease.py` the apply lease, `http.py` the transport, `errors.py` turns
failures into messages a user can act on."""
