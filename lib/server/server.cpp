#include "socketchat/server.hpp"

#include <sched.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <stdexcept>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>

#include "server/core.hpp"
#include "session/local_session.hpp"
#include "socketchat/error.hpp"
#include "transport/builtin_transports.hpp"
#include "transport/listen_url.hpp"
#include "transport/listener.hpp"
#include "transport/tls_context.hpp"
#include "util/round_end.hpp"

namespace socketchat {

using detail::Core;
using detail::Listener;

namespace {

// The CPUs this process may run on (taskset, a container's cpuset), not all the
// machine has: more I/O threads than that only take turns on the same cores.
unsigned usable_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

// Runs Core on io_contexts: either its own (one per thread, each connection pinned
// to one) or the host's, which the host runs on threads of its own.
class Server::Impl {
 public:
  Impl(ServerOptions options, asio::io_context* host) : host_(host), core_(std::move(options)) {
    // Fail early, in the constructor: a bad URL, a missing or mismatched certificate.
    // An embedder's schemes and protocols are registered after this: those URLs are
    // checked by validate(), at the latest on start().
    bool tls_wanted = false;
    for (const auto& url : core_.options().listeners) {
      auto parsed = detail::parse_listen_url(url);
      if (const auto* builtin = detail::find_builtin_transport(parsed.scheme)) {
        detail::parse_tcp_address(parsed, builtin->takes_path);
        tls_wanted |= builtin->tls;
      }
    }
    if (tls_wanted) {
      tls_ = detail::make_tls_context(core_.options().tls_certificate_file,
                                      core_.options().tls_private_key_file);
    }
  }

  ~Impl() {
    stop();
    if (!host_) join();
    core_.stop_history();  // its last completions post to the io_contexts: keep them alive
    // Everything that holds an I/O object goes before the io_contexts do.
    core_.close_cluster();
    listeners_.clear();
    prune_timer_.reset();
  }

  void start() {
    std::unique_lock lock(mutex_);
    if (started_) throw config_error("server already started");
    validate();
    if (const auto& motd = core_.options().motd_file; !motd.empty()) {
      core_.protocols().read_irc_motd(motd);
    }
    std::vector<asio::io_context*> workers;
    if (host_) {
      workers.push_back(host_);
      guards_.emplace_back(host_->get_executor());  // until stop(), even with no client
    } else {
      unsigned count = core_.options().threads;
      if (count == 0) count = usable_cpus();
      for (unsigned i = 0; i < count; ++i) {
        contexts_.push_back(std::make_unique<asio::io_context>(1));
        guards_.emplace_back(contexts_.back()->get_executor());
        workers.push_back(contexts_.back().get());
      }
    }
    core_.workers().set(workers);
    for (const auto& url : core_.options().listeners) {
      listeners_.push_back(core_.transports().listen(core_.sessions(), core_.protocols(),
                                                     *workers.front(),
                                                     detail::parse_listen_url(url), tls_));
    }
    prune_timer_ = std::make_unique<asio::steady_timer>(*workers.front());
    prune_history();
    started_ = true;
    for (auto& context : contexts_) {
      threads_.emplace_back([this, context = context.get()] {
        current_server = this;
        detail::bind_round_end(*context);
        context->run();
      });
    }
    join_cluster_then_listen(*workers.front(), lock);
  }

  // A cluster's node accepts clients once it has joined (docs/CLUSTER.md). On the
  // server's own threads, start() waits for that and throws if it could not; on a
  // host's context, which may not run yet, the listeners start when it has, and an
  // error event says why they did not.
  void join_cluster_then_listen(asio::io_context& context, std::unique_lock<std::mutex>& lock) {
    if (core_.options().cluster.empty()) {
      for (auto& listener : listeners_) listener->start();
      return;
    }
    auto joined = std::make_shared<std::promise<std::string>>();
    auto outcome = joined->get_future();
    core_.start_cluster(context, [this, joined](std::string error) {
      if (error.empty()) {
        for (auto& listener : listeners_) listener->start();
      } else if (host_) {
        Event event{
            .kind = EventKind::error, .time = {}, .text = error, .detail = "cluster-failed"};
        core_.bus().publish(event);
      }
      joined->set_value(std::move(error));
    });
    if (host_) return;
    auto error = outcome.get();
    if (!error.empty()) {
      lock.unlock();
      stop();
      join();
      throw std::runtime_error("cluster: " + error);
    }
  }

  void stop() noexcept {
    {
      std::lock_guard lock(mutex_);
      if (!started_ || stop_requested_) return;
      stop_requested_ = true;
    }
    for (auto& listener : listeners_) listener->stop();
    asio::post(prune_timer_->get_executor(), [this] { prune_timer_->cancel(); });
    core_.connections().shut_down([this] {
      // A cluster's node gives its names back before its io_contexts may end.
      core_.stop_cluster([this] {
        std::lock_guard lock(mutex_);
        for (auto& guard : guards_) guard.reset();  // the contexts end when their work does
        stopped_ = true;
        stopped_changed_.notify_all();
      });
    });
  }

  // Waits for the stop to finish. With the server's own threads, joins them; on a
  // host's context, waits until every connection has closed (the host's threads
  // must be running for that).
  void wait() {
    if (on_own_thread()) return;  // a server thread cannot wait for itself
    if (host_) {
      std::unique_lock lock(mutex_);
      stopped_changed_.wait(lock, [&] { return stopped_ || !started_; });
    } else {
      join();
    }
  }

  void validate() {
    for (const auto& url : core_.options().listeners) {
      core_.transports().protocol_of(detail::parse_listen_url(url), core_.protocols());
    }
  }

  bool on_own_thread() const noexcept { return current_server == this; }
  bool stopped() const {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  bool hosted() const noexcept { return host_ != nullptr; }
  bool started() const {
    std::lock_guard lock(mutex_);
    return started_;
  }

  // Declared first, destroyed last: every I/O object below lives on these.
  asio::io_context* host_;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;

  Core core_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::shared_ptr<asio::ssl::context> tls_;  // for tls://, wss:// and ircs:// listeners

 private:
  // Prunes now, then every history_prune_interval until the stop.
  void prune_history() {
    core_.prune_history();
    prune_timer_->expires_after(core_.options().history_prune_interval);
    prune_timer_->async_wait([this](std::error_code ec) {
      if (!ec && !core_.connections().stopping()) prune_history();
    });
  }

  void join() {
    std::lock_guard lock(join_mutex_);
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  static thread_local const Impl* current_server;

  mutable std::mutex mutex_;
  std::condition_variable stopped_changed_;
  bool started_ = false;
  bool stop_requested_ = false;
  bool stopped_ = false;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::unique_ptr<asio::steady_timer> prune_timer_;
  std::mutex join_mutex_;
  std::vector<std::thread> threads_;
};

thread_local const Server::Impl* Server::Impl::current_server = nullptr;

Server::Server(ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options), nullptr)) {}
Server::Server(ServerOptions options, asio::io_context& host)
    : impl_(std::make_unique<Impl>(std::move(options), &host)) {}
Server::~Server() = default;

void Server::add_sink(std::shared_ptr<EventSink> sink) {
  if (!sink) throw config_error("add_sink: null sink");
  impl_->core_.bus().add(std::move(sink));
}

void Server::start() {
  impl_->start();
}

void Server::run() {
  if (impl_->hosted()) throw config_error("run(): the host runs its own io_context; use start()");
  impl_->start();
  impl_->wait();
}

void Server::stop() noexcept {
  impl_->stop();
  if (!impl_->hosted() && !impl_->on_own_thread()) impl_->wait();
}

void Server::wait() {
  impl_->wait();
}
bool Server::stopped() const {
  return impl_->stopped();
}

void Server::set_message_filter(MessageFilter filter) {
  if (impl_->started()) throw config_error("set_message_filter: the server has started");
  impl_->core_.hub().set_filter(std::move(filter));
}

void Server::add_transport(std::string scheme, std::shared_ptr<Transport> transport) {
  if (impl_->started()) throw config_error("add_transport: the server has started");
  impl_->core_.transports().add(std::move(scheme), std::move(transport));
}

void Server::add_protocol(std::string name, std::shared_ptr<const Protocol> protocol) {
  if (impl_->started()) throw config_error("add_protocol: the server has started");
  impl_->core_.protocols().add(std::move(name), std::move(protocol));
}

void Server::validate() const {
  impl_->validate();
}

void Server::set_authenticator(std::shared_ptr<Authenticator> authenticator) {
  if (impl_->started()) throw config_error("set_authenticator: the server has started");
  impl_->core_.hub().set_authenticator(std::move(authenticator));
}

std::shared_ptr<LocalUser> Server::connect(std::string name, LocalUser::Handler handler) {
  if (!impl_->started()) throw config_error("connect: start the server first");
  auto session = std::make_shared<detail::LocalSession>(
      impl_->core_.sessions(), impl_->core_.protocols().line(), std::move(handler));
  if (!impl_->core_.connections().add(session, {}))
    throw config_error("connect: the server is stopping");
  try {
    session->log_in(name);
  } catch (...) {
    impl_->core_.connections().remove(*session);
    throw;
  }
  std::shared_ptr<LocalUser> user(new LocalUser(session, std::move(name)));
  session->set_owner(user);
  return user;
}

std::vector<std::string> Server::reconfigure(const ServerOptions& options) {
  // Everything that can fail comes first, so that a failure changes nothing.
  std::shared_ptr<asio::ssl::context> tls;
  if (impl_->tls_) {
    tls = detail::make_tls_context(options.tls_certificate_file, options.tls_private_key_file);
  }
  auto retention = impl_->core_.options().history_retention;
  auto pending = impl_->core_.reconfigure(options);
  if (tls) {
    impl_->tls_ = tls;
    for (auto& listener : impl_->listeners_) listener->set_tls(tls);
  }
  // A new retention is applied now rather than at the next periodic prune.
  if (impl_->core_.options().history_retention != retention) impl_->core_.prune_history();
  return pending;
}

std::uint16_t Server::port(std::size_t listener) const {
  if (listener >= impl_->listeners_.size()) throw config_error("no such listener");
  return impl_->listeners_[listener]->port();
}

std::size_t Server::connection_count() const {
  return impl_->core_.connections().connection_count();
}
std::size_t Server::user_count() const {
  return impl_->core_.hub().user_count();
}

}  // namespace socketchat
