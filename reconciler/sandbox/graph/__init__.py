"""The sandbox's Microsoft Graph v1.0 front-end: JSON over the same store and meeting lifecycle as EWS.

One module per resource (`events`, `calendar_view`, `messages`, `batch`), the token endpoint a client
credentials grant needs (`identity`), the event's JSON shape over the store's fields (`wire`), the OData
query options the resources accept (`odata`), and the routing (`router`).
"""
