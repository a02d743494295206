#include "sync/server/live_hub.hpp"

#include <algorithm>
#include <random>
#include <string>

namespace muster::server {

namespace {

using Clock = std::chrono::steady_clock;

std::string random_epoch() {
  std::random_device device;
  const std::uint64_t value = (std::uint64_t{device()} << 32U) | device();
  std::string hex;
  for (int shift = 60; shift >= 0; shift -= 4) {
    hex += "0123456789abcdef"[(value >> static_cast<unsigned>(shift)) & 0xFU];
  }
  return hex;
}

std::string event_text(std::string_view kind, std::string_view data) {
  return "event: " + std::string(kind) + "\ndata: " + std::string(data) + "\n\n";
}

} // namespace

LiveHub::Stream::Stream(LiveHub& hub, std::string event_id)
    : hub_(hub), event_id_(std::move(event_id)), opened_(Clock::now()), last_write_(opened_) {}

LiveHub::Stream::~Stream() { hub_.unsubscribe(this); }

bool LiveHub::Stream::dropped() const {
  std::lock_guard lock(hub_.mutex_);
  return dropped_;
}

std::optional<std::string> LiveHub::Stream::next(std::chrono::milliseconds wait) {
  std::unique_lock lock(hub_.mutex_);
  writing_ = false;
  auto now = Clock::now();
  const auto deadline = now + wait;
  if (!greeted_) {
    // The first message tells the page this server's generation: a page that reconnects after
    // missing events sees a different one and re-fetches.
    greeted_ = true;
    last_write_ = now;
    writing_ = true;
    std::string data = hub_.generation_text(hub_.generation_);
    if (hub_.payload_) {
      // With a payload: the latest one when it is young and nothing was published since;
      // otherwise the page is told the data follows, and the notifier computes it.
      const auto latest = hub_.latest_.find(event_id_);
      if (latest != hub_.latest_.end() && latest->second.current &&
          now - latest->second.at < hub_.limits_.fresh) {
        data = latest->second.data;
      } else {
        data = "{\"generation\":\"" + data + "\",\"pending\":true}";
        hub_.want_payload(event_id_, "scans");
      }
    }
    return "retry: 1000\n\n" + event_text("scans", data);
  }
  for (;;) {
    if (dropped_ || hub_.shut_down_ || now - opened_ >= hub_.limits_.lifetime) return std::nullopt;
    Clock::time_point wake_at;
    if (!queue_.empty()) {
      const auto due = last_event_ + hub_.limits_.min_gap;
      if (now >= due) {
        // Coalesce: one event per kind, with the latest data, in the order they came.
        std::vector<std::pair<std::string, std::string>> latest;
        for (const auto& message : queue_) {
          const auto cut = message.find('\n');
          std::string kind = message.substr(0, cut);
          std::string data = message.substr(cut + 1);
          auto found = std::find_if(latest.begin(), latest.end(),
                                    [&](const auto& entry) { return entry.first == kind; });
          if (found == latest.end()) {
            latest.emplace_back(std::move(kind), std::move(data));
          } else {
            found->second = std::move(data);
          }
        }
        queue_.clear();
        std::string out;
        for (const auto& [kind, data] : latest)
          out += event_text(kind, data);
        last_event_ = last_write_ = now;
        writing_ = true;
        return out;
      }
      wake_at = due;
    } else {
      const auto keep_alive_due = last_write_ + hub_.limits_.keep_alive;
      if (now >= keep_alive_due) {
        last_write_ = now;
        writing_ = true;
        return std::string(": keep-alive\n\n");
      }
      wake_at = keep_alive_due;
    }
    if (now >= deadline) return std::string();
    wake_.wait_until(lock, std::min(deadline, wake_at));
    now = Clock::now();
  }
}

LiveHub::LiveHub(Limits limits) : limits_(limits), epoch_(random_epoch()) {}

LiveHub::~LiveHub() { shutdown(); }

std::shared_ptr<LiveHub::Stream> LiveHub::subscribe(std::string event_id) {
  std::lock_guard lock(mutex_);
  if (shut_down_ || streams_.size() >= limits_.max_streams) return nullptr;
  std::shared_ptr<Stream> stream(new Stream(*this, std::move(event_id)));
  streams_.push_back(stream.get());
  return stream;
}

void LiveHub::unsubscribe(Stream* stream) {
  std::lock_guard lock(mutex_);
  std::erase(streams_, stream);
}

std::string LiveHub::generation_text(std::uint64_t generation) const {
  return epoch_ + "." + std::to_string(generation);
}

void LiveHub::publish(std::string_view event_id, std::string_view kind) {
  std::lock_guard lock(mutex_);
  ++generation_;
  if (!event_id.empty()) local_publish_ = true;
  if (payload_) {
    // The notifier sends the event once the data is computed (notify_loop).
    for (auto& [id, latest] : latest_) {
      if (event_id.empty() || id == event_id) latest.current = false;
    }
    for (Stream* stream : streams_) {
      if (stream->dropped_ || (!event_id.empty() && stream->event_id_ != event_id)) continue;
      want_payload(stream->event_id_, kind);
    }
    return;
  }
  deliver(event_id, kind, std::string(kind) + "\n" + generation_text(generation_));
}

void LiveHub::deliver(std::string_view event_id, std::string_view kind,
                      const std::string& message) {
  for (Stream* stream : streams_) {
    if (stream->dropped_ || (!event_id.empty() && stream->event_id_ != event_id)) continue;
    // A waiting writer takes the queue at its next wake: the same kind again only updates the
    // data. A writer away in a write gets each message queued, and is dropped past the bound.
    if (!stream->writing_ && !stream->queue_.empty() &&
        stream->queue_.back().compare(0, kind.size() + 1, std::string(kind) + "\n") == 0) {
      stream->queue_.back() = message;
    } else if (stream->queue_.size() >= limits_.queue) {
      stream->dropped_ = true;
      stream->queue_.clear();
      ++dropped_;
    } else {
      stream->queue_.push_back(message);
    }
    stream->wake_.notify_one();
  }
}

void LiveHub::want_payload(const std::string& event_id, std::string_view kind) {
  Pending& pending = pending_[event_id];
  if (kind == "closed") {
    pending.closed = true;
  } else {
    pending.scans = true;
  }
  notifier_wake_.notify_one();
}

void LiveHub::set_payload(Payload payload) {
  std::lock_guard lock(mutex_);
  if (payload_ || shut_down_) return;
  payload_ = std::move(payload);
  notifier_ = std::thread([this] { notify_loop(); });
}

void LiveHub::notify_loop() {
  std::unique_lock lock(mutex_);
  while (!shut_down_) {
    // The first event whose payload is due: at most one computation per event per min_gap, so
    // a burst of pushes costs one computation per window whatever the number of open pages.
    const auto now = Clock::now();
    std::string due_event;
    auto wake_at = Clock::time_point::max();
    for (const auto& [id, pending] : pending_) {
      const auto last = computed_at_.find(id);
      const auto due = last == computed_at_.end() ? now : last->second + limits_.min_gap;
      if (due <= now) {
        due_event = id;
        break;
      }
      wake_at = std::min(wake_at, due);
    }
    if (due_event.empty()) {
      if (wake_at == Clock::time_point::max()) {
        notifier_wake_.wait(lock);
      } else {
        notifier_wake_.wait_until(lock, wake_at);
      }
      continue;
    }
    const Pending job = pending_[due_event];
    pending_.erase(due_event);
    computed_at_[due_event] = now;
    // Read before computing: a publish during the computation makes it pending again, so the
    // data a page last gets is never older than the last change it was told of.
    const std::string generation = generation_text(generation_);
    lock.unlock();
    const auto payload = payload_(due_event);
    lock.lock();
    ++payloads_;
    std::string data = "{\"generation\":\"" + generation + "\"";
    if (payload) data += ",\"live\":" + *payload;
    data += "}";
    if (payload) {
      latest_[due_event] = Latest{data, now, pending_.find(due_event) == pending_.end()};
    }
    if (job.scans) deliver(due_event, "scans", "scans\n" + data);
    if (job.closed) deliver(due_event, "closed", "closed\n" + data);
  }
}

void LiveHub::watch(std::function<std::optional<std::uint64_t>()> generation,
                    std::chrono::milliseconds period) {
  std::lock_guard guard(mutex_);
  if (watcher_.joinable() || shut_down_) return;
  watcher_ = std::thread([this, generation = std::move(generation), period] {
    // Plain values, not an optional: g++ 12 -O2 warns maybe-uninitialized on one here.
    const auto first = generation();
    bool have_seen = first.has_value();
    std::uint64_t seen = first.value_or(0);
    std::unique_lock lock(mutex_);
    while (!shut_down_) {
      watcher_wake_.wait_for(lock, period, [this] { return shut_down_; });
      if (shut_down_) break;
      // Skipped when nobody watches; the query runs without the lock (publishers wait on it).
      if (streams_.empty()) {
        have_seen = false;
        continue;
      }
      lock.unlock();
      const auto now_seen = generation();
      lock.lock();
      const bool changed = now_seen && have_seen && *now_seen != seen;
      if (now_seen) {
        seen = *now_seen;
        have_seen = true;
      }
      // A change with an in-process publish since the last look was (most likely) that
      // publish: its pages already know. Only a change nobody here announced (the CLI, another
      // server) goes to every page. A CLI write in the same second as a push to another event
      // waits for the next reload: the documented price of not waking every page on each push.
      const bool announce = changed && !local_publish_;
      local_publish_ = false;
      if (announce) {
        lock.unlock();
        publish("", "scans");
        lock.lock();
      }
    }
  });
}

void LiveHub::shutdown() {
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    for (Stream* stream : streams_)
      stream->wake_.notify_all();
  }
  watcher_wake_.notify_all();
  notifier_wake_.notify_all();
  if (watcher_.joinable() && watcher_.get_id() != std::this_thread::get_id()) watcher_.join();
  if (notifier_.joinable() && notifier_.get_id() != std::this_thread::get_id()) notifier_.join();
}

std::size_t LiveHub::open_streams() const {
  std::lock_guard lock(mutex_);
  return streams_.size();
}

std::uint64_t LiveHub::dropped_streams() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::uint64_t LiveHub::payloads_computed() const {
  std::lock_guard lock(mutex_);
  return payloads_;
}

std::uint64_t LiveHub::published() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

} // namespace muster::server
