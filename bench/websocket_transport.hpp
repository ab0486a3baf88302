#pragma once

// The line protocol in WebSocket frames (RFC 6455), as socketchatd's ws:// listener
// speaks it: an HTTP/1.1 upgrade at a path (a random 16-byte key, the 101 and its
// Sec-WebSocket-Accept checked), then each line the client sends is one masked text
// frame, and each text message the server sends is one or more whole lines (one
// without a final LF is one line). Pings are answered; a close ends the connection.

#include <memory>
#include <string>

#include "transport.hpp"

namespace bench {

// `host` is the Host header ("127.0.0.1:7000"), `path` the upgrade's target ("/ws").
std::unique_ptr<TransportFactory> make_websocket_transport(std::string host, std::string path);

}  // namespace bench
