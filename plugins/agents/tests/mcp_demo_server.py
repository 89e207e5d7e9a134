"""A real MCP server (the ``mcp`` SDK's MCPServer) over stdio, for the agents backend's tests."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("demo")


@server.tool()
def shout(text: str) -> str:
    """Return the text in upper case."""
    return text.upper()


@server.tool()
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


if __name__ == "__main__":
    server.run("stdio")
