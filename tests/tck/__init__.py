"""The official Eclipse DSP TCK run against the sandbox provider in TCK mode (pytest marker ``tck``)."""
