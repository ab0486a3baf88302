#pragma once

// The line protocol inside TLS (1.2 or later), as socketchatd's tls:// listener
// speaks it. OpenSSL works on memory BIOs: it never touches the socket, so the event
// loop's non-blocking reads and writes stay as they are. The certificate is not
// verified: the server is on loopback and its certificate a throwaway one.

#include <memory>

#include "transport.hpp"

namespace bench {

std::unique_ptr<TransportFactory> make_tls_transport();

}  // namespace bench
