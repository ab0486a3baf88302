"""IRC lines as the end-to-end tests and the soak (bench/soak) read them. Standard library only."""

# The server's name the tests give socketchatd (--server-name): in every numeric, and the
# host of every user.
TEST_SERVER_NAME = "irc.socketchat.test"


def parse(line):
    """(prefix, command, params) of one IRC line without its CR LF (RFC 2812 2.3.1). The
    prefix is None when the line has none; a line without a command raises ValueError."""
    prefix = None
    if line.startswith(":"):
        prefix, _, line = line[1:].partition(" ")
    head, colon, trailing = line.partition(" :")
    command, *params = head.split()
    if colon:
        params.append(trailing)
    return prefix, command, params
