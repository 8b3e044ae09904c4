#include "PingPongClient.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace loadgen {

namespace {

using namespace std::chrono_literals;

/// Connections per thread between connect() and their first echo. A client that opens 1000
/// connections in one burst overflows a listen backlog of 128 (the SYNs are then dropped and
/// retried after a 1 s RTO, see tcp(7) and RFC 6298 section 2): pacing keeps the figures about
/// the server's echo path, not about SYN retransmissions.
constexpr int kConnectWindow = 64;
/// From the first connect() to the first echo; past it the connection counts as failed.
constexpr auto kConnectTimeout = 10s;
/// How long a refused or out-of-ports connect (see retryable()) is retried, with backoff.
constexpr auto kRetryFor = 2s;
constexpr auto kFirstBackoff = std::chrono::duration_cast<Clock::duration>(1ms);
constexpr auto kMaxBackoff = std::chrono::duration_cast<Clock::duration>(100ms);
/// An echo outstanding for longer than this when the run ends is reported as late.
constexpr auto kLateAfter = 1s;
constexpr int kMaxEvents = 256;
constexpr size_t kReadBufferSize = 64 * 1024;
/// Message k of connection c is the window of the pattern starting at (c * 37 + k) mod 256: a
/// stale, duplicated or shifted echo differs from the expected bytes.
constexpr size_t kPatternOffsets = 256;

/// Errors worth another connect(): nothing listening yet or the listener's queue overflowed
/// (ECONNREFUSED), no free local port for the moment (EADDRNOTAVAIL; EAGAIN from older kernels).
bool retryable(int error) {
  return error == ECONNREFUSED || error == EAGAIN || error == EADDRNOTAVAIL;
}

std::string describe(int error) { return std::generic_category().message(error); }

[[noreturn]] void abortBug(const char* call, int error) {
  std::fprintf(stderr, "echo_bench: %s failed: %s (a bug in echo_bench)\n", call,
               describe(error).c_str());
  std::abort();
}

}  // namespace

struct PingPongClient::Connection {
  UniqueFd fd;
  State state = State::kIdle;
  int id = 0;             // global number, seeds the payload
  uint32_t index = 0;     // position in connections_: the epoll user data
  uint64_t sequence = 0;  // messages completed so far
  size_t sent = 0;        // bytes of the current message written
  size_t received = 0;    // bytes of its echo read
  bool writeInterest = false;
  bool echoedOnce = false;
  int64_t measured = 0;  // round trips counted in the window
  Clock::time_point sentAt;
  Clock::time_point firstAttemptAt;
  Clock::time_point retryAt;
  Clock::duration backoff = kFirstBackoff;
};

const char* PingPongClient::toString(State state) {
  switch (state) {
    case State::kIdle:
      return "kIdle";
    case State::kConnecting:
      return "kConnecting";
    case State::kRetryWait:
      return "kRetryWait";
    case State::kRunning:
      return "kRunning";
    case State::kClosed:
      return "kClosed";
  }
  return "?";
}

PingPongClient::PingPongClient(const ClientConfig& config, int firstId, int count,
                               RunControl* control)
    : config_(config),
      firstId_(firstId),
      control_(control),
      connections_(static_cast<size_t>(count)),
      pattern_(static_cast<size_t>(config.messageSize) + kPatternOffsets),
      readBuffer_(kReadBufferSize) {
  // xorshift64 (Marsaglia, 2003): fixed seed, so every run and thread sends the same bytes.
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (char& byte : pattern_) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    byte = static_cast<char>(x >> 56);
  }
  for (size_t i = 0; i < connections_.size(); ++i) {
    connections_[i].id = firstId_ + static_cast<int>(i);
    connections_[i].index = static_cast<uint32_t>(i);
  }
}

PingPongClient::~PingPongClient() = default;

void PingPongClient::run() {
  epoll_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) {
    result_.connectFailures = static_cast<int>(connections_.size());
    result_.firstError = "epoll_create1: " + describe(errno);
    control_->markReady();
    return;
  }
  loop();
  summarise();
  connections_.clear();  // closes every socket now, in this thread
}

void PingPongClient::loop() {
  std::vector<epoll_event> events(kMaxEvents);
  while (true) {
    Clock::time_point now = Clock::now();
    if (control_->phase() == Phase::kDone || now >= config_.deadline) return;
    if (!ready_) {
      sweepConnects(now);
      startConnects(now);
      if (nextToStart_ == connections_.size() && connectsInFlight_ == 0) {
        ready_ = true;
        control_->markReady();
      }
    }
    // While connecting, wake every millisecond for retries and timeouts; afterwards only to
    // notice kDone. The window's edges do not depend on this timeout: whoever ends the window
    // samples the end edge, and round trips are counted by the phase they complete in.
    int timeoutMs = ready_ ? 5 : 1;
    int n = ::epoll_wait(epoll_.get(), events.data(), kMaxEvents, timeoutMs);
    if (n < 0) {
      if (errno == EINTR) continue;
      abortBug("epoll_wait", errno);
    }
    for (int i = 0; i < n; ++i) dispatch(events[static_cast<size_t>(i)]);
  }
}

void PingPongClient::dispatch(const epoll_event& event) {
  Connection& c = connections_[event.data.u32];
  if (c.state == State::kConnecting) {
    // Writable means the handshake ended, successfully or not: SO_ERROR tells which.
    onConnectDone(c, Clock::now());
    return;
  }
  // An event for a connection closed earlier in this batch (or waiting to retry) is stale.
  if (c.state != State::kRunning) return;
  if (event.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) readSome(c);
  if (c.state == State::kRunning && c.writeInterest && (event.events & EPOLLOUT)) writeSome(c);
}

void PingPongClient::startConnects(Clock::time_point now) {
  while (nextToStart_ < connections_.size() && connectsInFlight_ < kConnectWindow) {
    Connection& c = connections_[nextToStart_++];
    c.firstAttemptAt = now;
    ++connectsInFlight_;
    beginConnect(c, now);
  }
}

void PingPongClient::sweepConnects(Clock::time_point now) {
  for (size_t i = 0; i < nextToStart_; ++i) {
    Connection& c = connections_[i];
    bool waiting = c.state == State::kConnecting || c.state == State::kRetryWait ||
                   (c.state == State::kRunning && !c.echoedOnce);
    if (waiting && now - c.firstAttemptAt > kConnectTimeout) {
      fail(c, Failure::kConnect, "no echo within 10 s of the first connect()");
    } else if (c.state == State::kRetryWait && now >= c.retryAt) {
      beginConnect(c, now);
    }
  }
}

void PingPongClient::beginConnect(Connection& c, Clock::time_point now) {
  c.fd =
      UniqueFd(::socket(config_.server.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!c.fd.valid()) {
    fail(c, Failure::kConnect, "socket: " + describe(errno));  // EMFILE: raise the fd limit
    return;
  }
  // With one message in flight Nagle's algorithm never holds back a whole message, but a message
  // larger than one segment would meet the peer's delayed ACK (RFC 1122 4.2.3.2); TCP_NODELAY
  // takes that 40 ms stall out of the latency figures.
  int one = 1;
  ::setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  epoll_event event{};
  event.events = EPOLLOUT;
  event.data.u32 = c.index;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd.get(), &event) != 0) {
    fail(c, Failure::kConnect, "epoll_ctl: " + describe(errno));  // ENOSPC: max_user_watches
    return;
  }
  transition(c, State::kConnecting);
  if (::connect(c.fd.get(), reinterpret_cast<const sockaddr*>(&config_.server),
                config_.serverLength) == 0) {
    established(c, now);
  } else if (errno != EINPROGRESS) {
    retryOrFail(c, errno, now);
  }
}

void PingPongClient::onConnectDone(Connection& c, Clock::time_point now) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error == 0) {
    established(c, now);
  } else {
    retryOrFail(c, error, now);
  }
}

void PingPongClient::established(Connection& c, Clock::time_point now) {
  transition(c, State::kRunning);
  c.writeInterest = true;  // registered with EPOLLOUT for connect(); setWriteInterest clears it
  setWriteInterest(c, false);
  sendMessage(c, now);
}

void PingPongClient::retryOrFail(Connection& c, int error, Clock::time_point now) {
  if (retryable(error) && now - c.firstAttemptAt < kRetryFor) {
    c.fd.reset();  // closing also removes it from the epoll set
    transition(c, State::kRetryWait);
    c.retryAt = now + c.backoff;
    c.backoff = std::min(c.backoff * 2, kMaxBackoff);
    return;
  }
  fail(c, Failure::kConnect, "connect: " + describe(error));
}

const char* PingPongClient::expectedBytes(const Connection& c) const {
  size_t offset = (static_cast<size_t>(c.id) * 37 + c.sequence) % kPatternOffsets;
  return pattern_.data() + offset;
}

void PingPongClient::sendMessage(Connection& c, Clock::time_point now) {
  c.sent = 0;
  c.received = 0;
  c.sentAt = now;
  writeSome(c);
}

void PingPongClient::writeSome(Connection& c) {
  const char* data = expectedBytes(c);
  const auto size = static_cast<size_t>(config_.messageSize);
  while (c.sent < size) {
    ssize_t n = ::send(c.fd.get(), data + c.sent, size - c.sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.sent += static_cast<size_t>(n);
    } else if (errno == EAGAIN) {
      // The socket buffer is full (a large message, or a server that reads slowly): finish
      // when epoll says writable. Reading goes on meanwhile, so a server that echoes while
      // we are still sending never deadlocks against us.
      if (!c.writeInterest) setWriteInterest(c, true);
      return;
    } else if (errno != EINTR) {
      fail(c, Failure::kReset, "send: " + describe(errno));
      return;
    }
  }
  if (c.writeInterest) setWriteInterest(c, false);
}

void PingPongClient::readSome(Connection& c) {
  const auto size = static_cast<size_t>(config_.messageSize);
  while (true) {
    ssize_t n = ::recv(c.fd.get(), readBuffer_.data(), readBuffer_.size(), 0);
    if (n > 0) {
      auto got = static_cast<size_t>(n);
      if (c.received + got > c.sent) {
        fail(c, Failure::kMismatch, "received more bytes than were sent");
        return;
      }
      const char* expected = expectedBytes(c) + c.received;
      if (std::memcmp(readBuffer_.data(), expected, got) != 0) {
        auto where = std::mismatch(readBuffer_.data(), readBuffer_.data() + got, expected);
        fail(
            c, Failure::kMismatch,
            "echo differs at byte " +
                std::to_string(c.received + static_cast<size_t>(where.first - readBuffer_.data())) +
                " of message " + std::to_string(c.sequence));
        return;
      }
      c.received += got;
      // With one message in flight nothing more can be waiting: go straight to the next send
      // instead of paying for a recv that returns EAGAIN.
      if (c.received == size) {
        completeRoundTrip(c, Clock::now());
        return;
      }
    } else if (n == 0) {
      fail(c, Failure::kEof, "the server closed the connection");
      return;
    } else if (errno == EAGAIN) {
      return;
    } else if (errno != EINTR) {
      fail(c, Failure::kReset, "recv: " + describe(errno));
      return;
    }
  }
}

void PingPongClient::completeRoundTrip(Connection& c, Clock::time_point now) {
  if (!c.echoedOnce) {
    c.echoedOnce = true;
    --connectsInFlight_;
    ++result_.connected;
    control_->connectionUp();
  }
  if (control_->phase() == Phase::kMeasure) {
    if (!control_->countRoundTrip()) return;  // the --messages budget is spent: fall silent
    ++result_.messages;
    ++c.measured;
    result_.latency.record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.sentAt).count()));
  }
  ++c.sequence;
  sendMessage(c, now);
}

void PingPongClient::setWriteInterest(Connection& c, bool on) {
  if (c.writeInterest == on) return;
  epoll_event event{};
  event.events = EPOLLIN | (on ? EPOLLOUT : 0u);
  event.data.u32 = c.index;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &event) != 0) {
    abortBug("epoll_ctl(EPOLL_CTL_MOD)", errno);
  }
  c.writeInterest = on;
}

void PingPongClient::fail(Connection& c, Failure kind, const std::string& what) {
  if (c.state == State::kClosed) return;
  if (c.echoedOnce) {
    control_->connectionDown();
  } else {
    --connectsInFlight_;
  }
  switch (kind) {
    case Failure::kConnect:
      ++result_.connectFailures;
      break;
    case Failure::kReset:
      ++result_.resets;
      break;
    case Failure::kEof:
      ++result_.eofs;
      break;
    case Failure::kMismatch:
      ++result_.mismatches;
      break;
  }
  if (result_.firstError.empty()) {
    result_.firstError = "connection " + std::to_string(c.id) + ": " + what;
  }
  c.fd.reset();
  transition(c, State::kClosed);
}

void PingPongClient::transition(Connection& c, State to) {
  State from = c.state;
  bool legal = false;
  switch (from) {
    case State::kIdle:
      legal = to == State::kConnecting || to == State::kClosed;
      break;
    case State::kConnecting:
      legal = to == State::kRunning || to == State::kRetryWait || to == State::kClosed;
      break;
    case State::kRetryWait:
      legal = to == State::kConnecting || to == State::kClosed;
      break;
    case State::kRunning:
      legal = to == State::kClosed;
      break;
    case State::kClosed:
      legal = false;
      break;
  }
  if (!legal) {
    std::fprintf(stderr, "echo_bench: connection %d: illegal transition %s -> %s\n", c.id,
                 toString(from), toString(to));
    std::abort();
  }
  c.state = to;
}

void PingPongClient::summarise() {
  Clock::time_point now = Clock::now();
  bool first = true;
  for (Connection& c : connections_) {
    if (c.state == State::kClosed) continue;
    if (!c.echoedOnce) {
      // Still connecting when the run ended (the hard deadline): never got going.
      ++result_.connectFailures;
      if (result_.firstError.empty()) {
        result_.firstError =
            "connection " + std::to_string(c.id) + ": not connected when the run ended";
      }
      continue;
    }
    ++result_.live;
    if (c.measured == 0) ++result_.stalled;
    if (c.received < static_cast<size_t>(config_.messageSize) && now - c.sentAt > kLateAfter) {
      ++result_.late;
    }
    result_.minPerConnection = first ? c.measured : std::min(result_.minPerConnection, c.measured);
    result_.maxPerConnection = std::max(result_.maxPerConnection, c.measured);
    first = false;
  }
}

}  // namespace loadgen
