#include "swarm.hpp"

#include <fmt/format.h>

#include "failure.hpp"

namespace bench {

namespace {

constexpr std::string_view sync_token = "sync";

}  // namespace

Swarm::Swarm(EventLoop& loop, const Dialect& dialect, SwarmOptions options, Listener& listener)
    : loop_(loop), dialect_(dialect), options_(std::move(options)), listener_(listener) {
  if (options_.concurrency == 0) options_.concurrency = 1;
  if (options_.servers.empty()) throw Failure(exit_setup, "no server to connect to");
}

void Swarm::start(std::size_t count) {
  clients_.resize(count);
  for (std::size_t id = 0; id < count; ++id) {
    clients_[id].nick = options_.nick_prefix + std::to_string(id);
  }
  if (options_.per_source == 0 && !options_.sources.empty()) {
    options_.per_source = (count + options_.sources.size() - 1) / options_.sources.size();
  }
  launch_more();
}

void Swarm::launch_more() {
  while (in_progress_ < options_.concurrency && next_ < clients_.size()) {
    std::size_t id = next_++;
    ConnectOptions connect{.source = nullptr, .receive_buffer = options_.receive_buffer};
    if (!options_.sources.empty()) {
      connect.source = &options_.sources[(id / options_.per_source) % options_.sources.size()];
    }
    Client& client = clients_[id];
    client.phase = Phase::connecting;
    ++in_progress_;
    try {
      const Endpoint& server = options_.servers[id % options_.servers.size()];
      client.connection = &loop_.connect(id, server, *this, connect);
    } catch (const Failure& e) {
      throw Failure(e.status(),
                    fmt::format("client {} of {}: {}", id + 1, clients_.size(), e.what()));
    }
  }
}

void Swarm::send(std::size_t id, std::string_view bytes) {
  loop_.send(*clients_[id].connection, bytes);
}

void Swarm::close_all() {
  for (auto& client : clients_) {
    if (client.connection != nullptr) loop_.close(*client.connection);
    client.phase = Phase::lost;
  }
}

void Swarm::on_connected(Connection& connection) {
  Client& client = clients_[connection.id()];
  client.phase = Phase::logging_in;
  loop_.send(connection, dialect_.login(client.nick));
}

void Swarm::on_line(Connection& connection, std::string_view line, Nanos now) {
  std::size_t id = connection.id();
  Classified classified = dialect_.classify(line);
  if (classified.kind == LineKind::server_ping) {
    loop_.send(connection, dialect_.answer_server_ping(classified.arg));
    return;
  }
  Client& client = clients_[id];
  if (client.phase == Phase::ready) return listener_.on_line(id, classified, now);
  advance_login(client, id, classified, line);
}

void Swarm::advance_login(Client& client, std::size_t id, const Classified& line,
                          std::string_view raw) {
  std::string_view caps = dialect_.caps();
  if (line.kind == LineKind::refused) {
    if (!caps.empty() && !client.caps_answered) {
      throw Failure(exit_setup, fmt::format("{}: refused while asking for CAPS {} (a server "
                                            "without that capability?): {}",
                                            client.nick, caps, raw));
    }
    throw Failure(exit_setup, fmt::format("{}: refused while logging in: {}", client.nick, raw));
  }
  switch (client.phase) {
    case Phase::logging_in:
      if (line.kind == LineKind::caps && !caps.empty()) {
        if (line.arg != caps) {
          throw Failure(exit_setup, fmt::format("{}: asked for CAPS {}, the server answered: {}",
                                                client.nick, caps, raw));
        }
        client.caps_answered = true;
      }
      if (line.kind == LineKind::welcome) {
        if (!caps.empty() && !client.caps_answered) {
          throw Failure(exit_setup, fmt::format("{}: logged in without an answer to CAPS {}",
                                                client.nick, caps));
        }
        after_welcome(client, id);
      }
      break;
    case Phase::joining:
      // The line protocol answers JOIN with the same OK as LOGIN.
      if (line.kind != LineKind::joined && line.kind != LineKind::welcome) break;
      if (!options_.sync) return become_ready(client, id);
      client.phase = Phase::syncing;
      loop_.send(*client.connection, dialect_.ping(sync_token));
      break;
    case Phase::syncing:
      if (line.kind == LineKind::pong && line.arg == sync_token) become_ready(client, id);
      break;
    default:
      break;
  }
}

void Swarm::after_welcome(Client& client, std::size_t id) {
  if (options_.join && !dialect_.join_feed().empty()) {
    client.phase = Phase::joining;
    loop_.send(*client.connection, dialect_.join_feed());
  } else if (options_.sync) {
    client.phase = Phase::syncing;
    loop_.send(*client.connection, dialect_.ping(sync_token));
  } else {
    become_ready(client, id);
  }
}

void Swarm::become_ready(Client& client, std::size_t id) {
  client.phase = Phase::ready;
  ++ready_;
  --in_progress_;
  launch_more();
  listener_.on_ready(id);
}

void Swarm::on_drained(Connection& connection) {
  if (clients_[connection.id()].phase == Phase::ready) listener_.on_drained(connection.id());
}

void Swarm::on_closed(Connection& connection, std::string_view why) {
  Client& client = clients_[connection.id()];
  if (client.phase == Phase::ready) {
    client.phase = Phase::lost;
    ++lost_;
    return listener_.on_lost(connection.id(), why);
  }
  throw Failure(exit_setup, fmt::format("{} (client {} of {}): {} before logging in", client.nick,
                                        connection.id() + 1, clients_.size(), why));
}

}  // namespace bench
