#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "socketchat/event_sink.hpp"

namespace socketchat {

// What an AsyncSink does when its queue is full.
enum class OverflowPolicy {
  block,        // the I/O thread waits for room: nothing is lost, but a slow sink slows the server
  drop_oldest,  // the oldest queued event makes room
  drop_newest,  // the new event is dropped
};

// Hands events to another sink on a thread of its own, through a bounded queue, so
// a slow sink (a file on a slow disk, a remote collector) never blocks an I/O thread.
// On Linux that thread is SCHED_BATCH: its waking up does not preempt an I/O thread.
// Dropped events are counted (here and in dropped_in_process()); after a run of drops
// the inner sink receives an error event with detail "events-dropped" whose text says
// how many were lost.
class AsyncSink : public EventSink {
 public:
  AsyncSink(std::shared_ptr<EventSink> inner, std::size_t capacity = 8192,
            OverflowPolicy policy = OverflowPolicy::drop_oldest);
  ~AsyncSink() override;  // delivers what is queued, then stops the thread

  void on_event(const Event& event) noexcept override;

  // Blocks until every event queued so far has reached the inner sink.
  void drain();
  // The same, waiting at most `timeout`: false if the inner sink has not taken them
  // all by then (it is stuck, say on a stderr nobody reads).
  bool drain_for(std::chrono::milliseconds timeout);
  std::uint64_t dropped() const noexcept;
  // Events dropped by every AsyncSink of the process so far: what /metrics shows as
  // socketchat_sink_events_dropped_total.
  static std::uint64_t dropped_in_process() noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace socketchat
