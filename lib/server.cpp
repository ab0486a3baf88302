#include "socketchat/server.hpp"

#include <condition_variable>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include "detail/core.hpp"
#include "detail/tcp_listener.hpp"
#include "socketchat/error.hpp"

namespace socketchat {

using detail::Core;
using detail::TcpListener;

// Owns the io_contexts (one per thread, each connection pinned to one) and the
// threads that run them; Core holds everything the connections share.
class Server::Impl {
 public:
  explicit Impl(ServerOptions options) : core_(prepare(std::move(options))) {}

  ~Impl() {
    stop();
    wait();
  }

  void start() {
    std::lock_guard lock(mutex_);
    if (started_) throw config_error("server already started");
    unsigned count = core_.options().threads;
    if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
    std::vector<asio::io_context*> workers;
    for (unsigned i = 0; i < count; ++i) {
      contexts_.push_back(std::make_unique<asio::io_context>(1));
      guards_.emplace_back(contexts_.back()->get_executor());
      workers.push_back(contexts_.back().get());
    }
    for (const auto& url : core_.options().listeners) {
      auto endpoint = detail::parse_tcp_url(url);
      listeners_.push_back(std::make_shared<TcpListener>(core_, *contexts_.front(), endpoint, workers));
    }
    for (auto& listener : listeners_) listener->start();
    started_ = true;
    for (auto& context : contexts_) {
      threads_.emplace_back([this, context = context.get()] {
        current_server = this;
        context->run();
      });
    }
  }

  void stop() noexcept {
    std::vector<std::shared_ptr<TcpListener>> listeners;
    {
      std::lock_guard lock(mutex_);
      if (!started_ || stop_requested_) return;
      stop_requested_ = true;
      listeners = listeners_;
    }
    for (auto& listener : listeners) listener->stop();
    core_.shut_down([this] {
      std::lock_guard lock(mutex_);
      for (auto& guard : guards_) guard.reset();  // the contexts end when their work does
    });
  }

  void wait() {
    if (current_server == this) return;  // a server thread cannot wait for itself
    std::unique_lock lock(join_mutex_);
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  bool on_own_thread() const noexcept { return current_server == this; }

  Core core_;
  std::vector<std::shared_ptr<TcpListener>> listeners_;

 private:
  static ServerOptions prepare(ServerOptions options) {
    options.validate();
    if (options.listeners.empty()) options.listen("tcp://0.0.0.0:4000");
    for (const auto& url : options.listeners) detail::parse_tcp_url(url);  // fail early
    return options;
  }

  static thread_local const Impl* current_server;

  std::mutex mutex_;
  bool started_ = false;
  bool stop_requested_ = false;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::mutex join_mutex_;
  std::vector<std::thread> threads_;
};

thread_local const Server::Impl* Server::Impl::current_server = nullptr;

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;

void Server::add_sink(std::shared_ptr<EventSink> sink) {
  if (!sink) throw config_error("add_sink: null sink");
  impl_->core_.bus().add(std::move(sink));
}

void Server::start() { impl_->start(); }

void Server::run() {
  impl_->start();
  impl_->wait();
}

void Server::stop() noexcept {
  impl_->stop();
  if (!impl_->on_own_thread()) impl_->wait();
}

void Server::wait() { impl_->wait(); }

std::uint16_t Server::port(std::size_t listener) const {
  if (listener >= impl_->listeners_.size()) throw config_error("no such listener");
  return impl_->listeners_[listener]->port();
}

std::size_t Server::connection_count() const { return impl_->core_.connection_count(); }
std::size_t Server::user_count() const { return impl_->core_.hub().user_count(); }

}  // namespace socketchat
