"""The runnable examples under examples/ run and print what their docs promise (issue 6 item 10)."""
