# The sample project is run inside pytester by tests/test_plugin.py, never by our own suite (which runs
# with ``-p no:mockrouter``, so its ``mockrouter`` fixture would be missing here).
collect_ignore_glob = ["*.py"]
