#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/strand.hpp>

namespace socketchat::detail {

// Each connection's handlers run on its own strand, over one of the server's
// io_contexts: never two at once, on whichever thread runs that context.
using Executor = asio::strand<asio::io_context::executor_type>;
using TcpSocket = asio::basic_stream_socket<asio::ip::tcp, Executor>;

}  // namespace socketchat::detail
