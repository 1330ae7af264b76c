"""DspConnector against the sandbox provider and against scripted fake providers, over real HTTP."""
