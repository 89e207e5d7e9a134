"""The trio engine: runs a prepared run's stages with a heartbeat and a control watcher.

Everything here imports trio; nothing outside the commands that run pipelines imports this
package (``status`` and ``--version`` must stay cheap).
"""
