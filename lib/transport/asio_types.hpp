#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/strand.hpp>

#include "transport/pooled_strand.hpp"

namespace socketchat::detail {

// Each connection's handlers run on a strand, over one of the server's io_contexts:
// never two at once, on whichever thread runs that context. A strand of its own for
// a connection made by an embedder's transport (the public ConnectionExecutor), or one
// of the StrandPool's, by address, for the built-in sockets.
using Executor = Strand;
using TcpSocket = asio::basic_stream_socket<asio::ip::tcp, PooledStrand>;

}  // namespace socketchat::detail
