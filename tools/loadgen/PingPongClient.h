// PingPongClient: one client thread's share of the connections, driven by its own epoll loop.
//
// Each connection sends one message, waits for the whole echo, compares every byte with what it
// sent, and sends the next: one message in flight per connection, so messages/s measures round
// trips and the latency of each is its own send-to-last-byte time.
// Connecting is paced: at most kConnectWindow connections per thread are between connect() and
// their first echo, so 1000 clients never arrive at once in a server's accept queue; a refused
// or out-of-ports connect (ECONNREFUSED, EAGAIN, EADDRNOTAVAIL) is retried for up to 2 s.
// Owns: its epoll fd and its connections' sockets (closed when the client is destroyed).
// Borrows: the RunControl (does not own; it must outlive run()).
// Thread safety: run() is the body of exactly one thread; result() is read after that thread
// was joined.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "LatencyHistogram.h"
#include "RunControl.h"
#include "UniqueFd.h"

namespace loadgen {

/// Where and what a client sends.
struct ClientConfig {
  sockaddr_storage server{};   ///< the echo server's address
  socklen_t serverLength = 0;  ///< the used length of `server`
  int messageSize = 64;        ///< bytes per message
  Clock::time_point deadline;  ///< run() returns by then whatever happens
};

/// What one client thread saw. Counts cover the measured window unless said otherwise.
struct ClientResult {
  int64_t messages = 0;          ///< round trips completed in the window
  LatencyHistogram latency;      ///< their round-trip times
  int connected = 0;             ///< connections that completed their first round trip (any phase)
  int connectFailures = 0;       ///< connections that never got their first echo (any phase)
  int resets = 0;                ///< established connections lost to an error (ECONNRESET...)
  int eofs = 0;                  ///< established connections the server closed
  int mismatches = 0;            ///< echoes that differed from what was sent (or were too long)
  int live = 0;                  ///< connections still up at the end of the window
  int stalled = 0;               ///< live connections without a single round trip in the window
  int late = 0;                  ///< live connections waiting > 1 s for an echo at the end
  int64_t minPerConnection = 0;  ///< fewest round trips of a live connection in the window
  int64_t maxPerConnection = 0;  ///< most round trips of a live connection in the window
  std::string firstError;        ///< the first failure, for the diagnostic on stderr

  /// Failures of any kind (connect, reset, EOF, mismatch).
  int errors() const { return connectFailures + resets + eofs + mismatches; }
};

/// A client thread's connections and its event loop.
class PingPongClient {
 public:
  /// `firstId`..`firstId + count - 1` are the global numbers of this thread's connections (they
  /// seed the payload, so no two connections send the same bytes). Borrows `control`.
  PingPongClient(const ClientConfig& config, int firstId, int count, RunControl* control);
  /// Closes whatever connections are still open (normally none: run() closes them).
  ~PingPongClient();
  PingPongClient(const PingPongClient&) = delete;
  PingPongClient& operator=(const PingPongClient&) = delete;

  /// The thread body: connects, marks ready, ping-pongs until the phase is kDone or the
  /// deadline passes, then closes every connection. Never throws: a failed set-up call
  /// (epoll_create1) is reported in the result as a failure of every connection.
  void run();

  /// What happened. [after the thread running run() was joined]
  const ClientResult& result() const { return result_; }

 private:
  /// A connection's life; transitions are checked (see transition()).
  enum class State { kIdle, kConnecting, kRetryWait, kRunning, kClosed };
  static const char* toString(State state);

  struct Connection;
  enum class Failure { kConnect, kReset, kEof, kMismatch };

  void loop();
  void dispatch(const epoll_event& event);
  void startConnects(Clock::time_point now);
  void sweepConnects(Clock::time_point now);
  void beginConnect(Connection& c, Clock::time_point now);
  void onConnectDone(Connection& c, Clock::time_point now);
  void established(Connection& c, Clock::time_point now);
  void retryOrFail(Connection& c, int error, Clock::time_point now);
  void sendMessage(Connection& c, Clock::time_point now);
  void writeSome(Connection& c);
  void readSome(Connection& c);
  void completeRoundTrip(Connection& c, Clock::time_point now);
  void setWriteInterest(Connection& c, bool on);
  void fail(Connection& c, Failure kind, const std::string& what);
  void transition(Connection& c, State to);
  const char* expectedBytes(const Connection& c) const;
  void summarise();

  const ClientConfig config_;
  const int firstId_;
  RunControl* const control_;  // does not own
  UniqueFd epoll_;
  std::vector<Connection> connections_;
  std::vector<char> pattern_;  // message payloads are windows into this buffer
  std::vector<char> readBuffer_;
  size_t nextToStart_ = 0;    // connections_[0, nextToStart_) have been started
  int connectsInFlight_ = 0;  // started, neither failed nor echoed once
  bool ready_ = false;
  ClientResult result_;
};

}  // namespace loadgen
