"""EdcConnector against EDC Management API v3 and v4 wire shapes (``responses``)."""
