"""Calendar backends: the narrow interface the engine talks to, and its EWS implementation."""
