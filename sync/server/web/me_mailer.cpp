// The mail thread of /me/'s sign-in codes (me_internal.hpp).
#include "sync/server/web/me_internal.hpp"

namespace muster::server::me {

Mailer::Mailer(mail::SmtpSettings settings) : settings_(std::move(settings)) {
  thread_ = std::thread([this] { loop(); });
}

Mailer::~Mailer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Mailer::send(std::string recipient, std::string content) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= 100) return;
    queue_.emplace_back(std::move(recipient), std::move(content));
  }
  wake_.notify_all();
}

void Mailer::loop() {
  mail::SmtpSender sender(settings_);
  for (;;) {
    std::pair<std::string, std::string> item;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto result = sender.send(item.first, item.second);
    if (result.outcome != mail::SendOutcome::accepted) {
      // Never the address: the log is not the place for it.
      std::cerr << "muster-server: /me/: a sign-in code could not be mailed: " << result.detail
                << '\n';
    }
  }
}

} // namespace muster::server::me
