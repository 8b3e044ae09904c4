#include "HttpServer.h"

#include <any>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "Buffer.h"
#include "EventLoop.h"
#include "FileSender.h"
#include "HttpContext.h"
#include "HttpDate.h"
#include "HttpRequest.h"
#include "HttpResponse.h"
#include "Logging.h"
#include "TcpConnection.h"

namespace net {

namespace {

/// Input held while a connection waits for a deferred answer: past this, reading stops, and the
/// client's further requests wait in the kernel (then in the client) instead of in our memory.
constexpr size_t kMaxHeldInput = 64 * 1024;

/// Output queued for a client that does not read: past this, reading stops until it drained, so a
/// client pipelining requests without reading the answers cannot make us buffer without limit.
constexpr size_t kOutputHighWaterMark = 1024 * 1024;

/// The Server header of every response.
constexpr std::string_view kServerName = "net/final";

/// How often a graceful stop looks whether every connection has closed.
constexpr auto kStopPollInterval = std::chrono::milliseconds(10);

}  // namespace

/// How a responder reaches the server. The destructor of HttpServer sets `server` to nullptr
/// under the mutex; a responder takes the same mutex while it queues its answer on a loop, so
/// an answer is either queued while every loop is still alive, or not at all.
struct HttpServer::Link {
  std::mutex mutex;    ///< guards `server`; held while an answer is queued on a loop
  HttpServer* server;  ///< guarded by mutex; nullptr once the server is being destroyed

  /// A link to `s`, made by its constructor.
  explicit Link(HttpServer* s) : server(s) {}
  /// The server, or nullptr once it is being destroyed. [any thread]
  HttpServer* get() {
    std::lock_guard<std::mutex> lock(mutex);
    return server;
  }
};

/// The connections one loop serves, for stats().
struct HttpServer::LoopCounter {
  EventLoop* loop;                      ///< does not own
  std::string name;                     ///< "base" or the sub loop's thread name
  std::atomic<int64_t> connections{0};  ///< open on this loop; written by its thread only

  /// The counter of loop `l`, shown as `n`.
  LoopCounter(EventLoop* l, std::string n) : loop(l), name(std::move(n)) {}
};

/// What HttpServer keeps per connection, in the connection's context, while the connection has
/// something under way: made by stateOf() when first needed, dropped by forgetIfIdle() when
/// nothing is left (an idle keep-alive connection keeps nothing of ours). Loop thread only.
struct HttpServer::ConnectionState {
  /// The request parser, only while a request is under way: an idle connection keeps none (nginx
  /// frees its request between keep-alive requests too). Made by the first bytes of a request.
  std::unique_ptr<HttpContext> context;
  /// Input that arrived while an answer was pending, parsed once it has been sent. Allocated only
  /// while needed: an idle connection holds no buffer of ours.
  std::unique_ptr<Buffer> held;
  size_t leftInInput = 0;  ///< bytes left in the connection's input Buffer by the last onMessage
  uint64_t nextId = 1;     ///< the id of the next Exchange
  uint64_t pending = 0;    ///< the id of the Exchange whose answer is awaited; 0: none
  std::unique_ptr<FileSender> sender;  ///< the file body being streamed, if any
  bool closeAfterFile = false;         ///< shut down once `sender` is done
  bool outputFull = false;             ///< output above kOutputHighWaterMark, until it drained
  bool readStopped = false;            ///< stopRead() is in force

  /// An answer is still to come (computed, or a file being streamed): later requests wait.
  bool waiting() const { return pending != 0 || sender != nullptr; }
  /// Nothing under way: no answer to come, no input held or left, no request half parsed.
  bool idle() const {
    return !waiting() && !held && leftInInput == 0 &&
           (!context || context->state() == HttpContext::State::kExpectRequestLine);
  }
};

/// What the request loop does after one answer.
enum class HttpServer::Next {
  kContinue,  ///< go on with the next request
  kClose,     ///< send what is there, then shut down
  kWait,      ///< stop here: an answer is still to come, or the connection was closed
};

/// What the access log line says about a request: views, valid until its answer is finished.
struct HttpServer::AccessRecord {
  std::string_view method = "-";           ///< as sent
  std::string_view target = "-";           ///< raw, as sent
  const char* version = "-";               ///< "HTTP/1.1", "HTTP/1.0"
  Clock::time_point start = Clock::now();  ///< when the request was complete
};

/// An AccessRecord that owns its strings, for an answer that comes later.
struct HttpServer::OwnedAccessRecord {
  std::string method;       ///< AccessRecord::method
  std::string target;       ///< AccessRecord::target
  const char* version;      ///< AccessRecord::version (a string literal)
  Clock::time_point start;  ///< AccessRecord::start

  /// The record, as views into this object.
  AccessRecord view() const { return {method, target, version, start}; }
};

//! [Exchange]
/// One request of an AsyncHttpCallback, shared by the server and the request's HttpResponders.
struct HttpServer::Exchange {
  /// Request number `i` of connection `c`, made on its loop thread by dispatch().
  Exchange(std::shared_ptr<Link> l, const TcpConnectionPtr& c, uint64_t i, bool close, bool head)
      : link(std::move(l)), conn(c), id(i), closeAfter(close), headOnly(head) {}
  /// Nobody answered and nobody can any more: answer 500 rather than stall the connection.
  ~Exchange() {
    if (answered.exchange(true)) return;
    HttpResponse response;
    response.setStatusCode(500);
    response.setContentType("text/plain");
    response.setBody("500 Internal Server Error: the handler dropped the request\n");
    handBack(std::move(response));
  }
  /// Not copyable: one per request.
  Exchange(const Exchange&) = delete;
  /// Not copyable: one per request.
  Exchange& operator=(const Exchange&) = delete;

  /// Queues the answer on the connection's loop. [any thread]
  void handBack(HttpResponse response) {
    TcpConnectionPtr c = conn.lock();
    if (!c) return;  // closed and gone: nobody to answer
    std::lock_guard<std::mutex> lock(link->mutex);
    if (link->server == nullptr) return;
    // queueInLoop even on the loop thread: the answer is processed between two callbacks,
    // never inside the one that happens to call send(). The response is move-only (it may hold
    // a file) and a Functor must be copyable, hence the shared_ptr around it.
    auto r = std::make_shared<HttpResponse>(std::move(response));
    c->getLoop()->queueInLoop(
        [link = link, c, id = id, close = closeAfter, head = headOnly, r, log = access] {
          if (HttpServer* server = link->get()) {
            server->onDeferredResponse(c, id, std::move(*r), close, head, log.get());
          }
        });
  }

  const std::shared_ptr<Link> link;         ///< the way to the server
  const std::weak_ptr<TcpConnection> conn;  ///< weak: a pending answer does not keep it open
  const std::thread::id loopThread = std::this_thread::get_id();  ///< created on the loop
  const uint64_t id;      ///< the request's number on its connection
  const bool closeAfter;  ///< the request asked to close after the answer
  const bool headOnly;    ///< HEAD: headers only
  /// For the access log line, when info logging was on at the request; else null.
  std::shared_ptr<const OwnedAccessRecord> access;
  std::atomic<bool> answered{false};  ///< send() was called (or the destructor answered)
  /// The callback is running (loop thread only): an answer given now joins its read's batch.
  bool inCallback = false;
  std::optional<HttpResponse> syncResponse;  ///< that answer (loop thread only)
};

void HttpResponder::send(HttpResponse response) const {
  HttpServer::Exchange& exchange = *exchange_;
  if (exchange.answered.exchange(true)) return;  // the first answer counts
  if (std::this_thread::get_id() == exchange.loopThread && exchange.inCallback) {
    exchange.syncResponse = std::move(response);
  } else {
    exchange.handBack(std::move(response));
  }
}
//! [Exchange]

HttpServer::HttpServer(EventLoop* loop, const InetAddress& listenAddr, std::string name,
                       bool reusePort)
    : link_(std::make_shared<Link>(this)), server_(loop, listenAddr, std::move(name), reusePort) {
  server_.setConnectionCallback([this](const TcpConnectionPtr& conn) { onConnection(conn); });
  server_.setMessageCallback(
      [this](const TcpConnectionPtr& conn, Buffer* buf) { onMessage(conn, buf); });
  server_.setWriteCompleteCallback([this](const TcpConnectionPtr& conn) { onWriteComplete(conn); });
  server_.setHighWaterMarkCallback(
      [this](const TcpConnectionPtr& conn, size_t) { onHighWaterMark(conn); },
      kOutputHighWaterMark);
}

HttpServer::~HttpServer() {
  getLoop()->assertInLoopThread();
  std::lock_guard<std::mutex> lock(link_->mutex);
  link_->server = nullptr;  // from here on, answers still being computed are dropped
}

void HttpServer::start() {
  getLoop()->runInLoop([this] {
    if (!loopCounters_.empty()) return;  // started already
    startTime_ = Clock::now();
    server_.start();  // on the loop thread: the threads run and the socket listens on return
    registerLoops();  // so this runs before any connection is accepted
  });
}

void HttpServer::registerLoops() {
  loopCounters_.push_back(std::make_unique<LoopCounter>(getLoop(), "base"));
  EventLoopThreadPool* pool = server_.threadPool();
  std::vector<EventLoop*> loops = pool->getAllLoops();
  if (loops.size() == 1 && loops[0] == getLoop()) return;  // no sub loops
  for (size_t i = 0; i < loops.size(); ++i) {
    loopCounters_.push_back(
        std::make_unique<LoopCounter>(loops[i], pool->name() + std::to_string(i)));
  }
}

HttpServerStats HttpServer::stats() const {
  HttpServerStats stats;
  stats.uptime = Clock::now() - startTime_;
  stats.requests = requests_.load(std::memory_order_relaxed);
  stats.bytesIn = bytesIn_.load(std::memory_order_relaxed);
  stats.bytesOut = bytesOut_.load(std::memory_order_relaxed);
  stats.connectionsAccepted = accepted_.load(std::memory_order_relaxed);
  stats.deferred = deferred_.load(std::memory_order_relaxed);
  for (const auto& counter : loopCounters_) {
    int64_t n = counter->connections.load(std::memory_order_relaxed);
    stats.loops.push_back({counter->name, n});
    stats.connections += n;
  }
  return stats;
}

// The parser and the pipelining state live with the connection (muduo keeps its parser there
// too): no map, no lock, and they die with the connection.
HttpServer::ConnectionState* HttpServer::stateOf(const TcpConnectionPtr& conn) {
  std::any* context = conn->getMutableContext();
  if (!context->has_value()) *context = std::make_shared<ConnectionState>();
  return std::any_cast<std::shared_ptr<ConnectionState>>(context)->get();
}

HttpServer::ConnectionState* HttpServer::findState(const TcpConnectionPtr& conn) {
  auto* state = std::any_cast<std::shared_ptr<ConnectionState>>(conn->getMutableContext());
  return state != nullptr ? state->get() : nullptr;
}

void HttpServer::forgetIfIdle(const TcpConnectionPtr& conn, ConnectionState* state) {
  // Not while output or input is throttled: that state must survive until it is lifted.
  if (state->idle() && !state->outputFull && !state->readStopped) conn->setContext(std::any());
}

HttpServer::LoopCounter* HttpServer::counterOf(const TcpConnectionPtr& conn) const {
  for (const auto& counter : loopCounters_) {
    if (counter->loop == conn->getLoop()) return counter.get();
  }
  std::fprintf(stderr, "HttpServer: connection %s on a loop start() did not register\n",
               conn->name().c_str());
  std::abort();
}

void HttpServer::onConnection(const TcpConnectionPtr& conn) {
  if (conn->connected()) {
    counterOf(conn)->connections.fetch_add(1, std::memory_order_relaxed);
    accepted_.fetch_add(1, std::memory_order_relaxed);
  } else {
    counterOf(conn)->connections.fetch_sub(1, std::memory_order_relaxed);
    ConnectionState* state = findState(conn);
    if (state == nullptr) return;  // idle: nothing under way to settle
    if (state->pending != 0) {
      // Closed while its answer is computed: the answer finds the connection gone and is dropped.
      deferred_.fetch_sub(1, std::memory_order_relaxed);
      state->pending = 0;
    }
    if (state->sender) bytesOut_.fetch_add(state->sender->bytesSent(), std::memory_order_relaxed);
  }
}

//! [onMessage]
void HttpServer::onMessage(const TcpConnectionPtr& conn, Buffer* buf) {
  ConnectionState* state = stateOf(conn);
  bytesIn_.fetch_add(buf->readableBytes() - state->leftInInput, std::memory_order_relaxed);
  if (!conn->connected()) {
    // Closing (after an error or "Connection: close"): whatever else the client sends is
    // read and dropped until it closes too.
    buf->retrieveAll();
    state->leftInInput = 0;
    return;
  }
  // Once input is held (an answer is still to come, or the bytes after one are not parsed yet),
  // new input queues behind it: the requests are answered in the order they came.
  if (state->waiting() || state->held) {
    if (!state->held) state->held = std::make_unique<Buffer>();
    state->held->append(buf->view());
    buf->retrieveAll();
  }
  if (!state->waiting()) {
    Buffer output;
    processRequests(conn, state, state->held ? state->held.get() : buf, &output);
  }
  if (state->waiting() && buf->readableBytes() > 0) {
    // A request of this read is answered later: hold the ones behind it, unparsed.
    if (!state->held) state->held = std::make_unique<Buffer>();
    state->held->append(buf->view());
    buf->retrieveAll();
  }
  state->leftInInput = buf->readableBytes();
  updateReading(conn, state);
  forgetIfIdle(conn, state);  // `state` is gone if it was idle
}
//! [onMessage]

//! [processRequests]
void HttpServer::processRequests(const TcpConnectionPtr& conn, ConnectionState* state,
                                 Buffer* input, Buffer* output) {
  if (!state->context) state->context = std::make_unique<HttpContext>();
  HttpContext& context = *state->context;
  // Every request complete in `input` is answered now, in order (pipelining, RFC 9112 9.3.2),
  // until one is answered later: those behind it wait. The answers leave in one send(): one
  // write(2) for a whole pipelined batch.
  Next next = Next::kContinue;
  while (next == Next::kContinue) {
    if (!context.parseRequest(input)) {
      requests_.fetch_add(1, std::memory_order_relaxed);
      next = appendErrorResponse(conn, state, output);
    } else if (context.gotAll()) {
      requests_.fetch_add(1, std::memory_order_relaxed);
      next = dispatch(conn, state, context.request(), output);
      context.reset();
    } else {
      if (context.expectsContinue()) {
        // The client waits for this before it sends the body (RFC 9110 section 10.1.1). It goes
        // after the answers to the requests before, and only here, before the body: the final
        // answer can only come once the request is complete.
        output->append("HTTP/1.1 100 Continue\r\n\r\n");
        context.continueSent();
      }
      break;  // the rest of a request is still on its way
    }
  }
  sendOutput(conn, *output);
  if (next == Next::kClose) {
    conn->shutdown();  // FIN after the answers drained: the client reads them all
    state->held.reset();
    return;
  }
  if (!state->waiting() && state->held && state->held->readableBytes() == 0) {
    state->held.reset();  // caught up: new input is parsed where it arrives again
  }
}
//! [processRequests]

//! [dispatch]
HttpServer::Next HttpServer::dispatch(const TcpConnectionPtr& conn, ConnectionState* state,
                                      const HttpRequest& request, Buffer* output) {
  const bool closeAfter = !request.keepAlive();
  const bool headOnly = request.method() == "HEAD";
  // The access log costs nothing unless info logging is on (it is off at the default warn).
  std::optional<AccessRecord> access;
  if (Logger::enabled(LogLevel::kInfo)) {
    access = AccessRecord{request.method(), request.target(),
                          HttpRequest::versionToString(request.version())};
  }
  if (!asyncCallback_) {
    HttpResponse response;
    if (httpCallback_) {
      httpCallback_(request, &response);
    } else {
      response.setStatusCode(404);
    }
    return finish(conn, state, &response, closeAfter, headOnly, output,
                  access ? &*access : nullptr);
  }
  auto exchange = std::make_shared<Exchange>(link_, conn, state->nextId++, closeAfter, headOnly);
  if (access) {
    exchange->access = std::make_shared<OwnedAccessRecord>(OwnedAccessRecord{
        std::string(access->method), std::string(access->target), access->version, access->start});
  }
  exchange->inCallback = true;
  asyncCallback_(request, HttpResponder(exchange));
  exchange->inCallback = false;
  if (exchange->syncResponse) {
    return finish(conn, state, &*exchange->syncResponse, closeAfter, headOnly, output,
                  access ? &*access : nullptr);
  }
  // Answered later (or never: then the Exchange's destructor answers 500). Until then the
  // requests behind this one wait.
  state->pending = exchange->id;
  deferred_.fetch_add(1, std::memory_order_relaxed);
  return Next::kWait;
}
//! [dispatch]

//! [onDeferredResponse]
void HttpServer::onDeferredResponse(const TcpConnectionPtr& conn, uint64_t id,
                                    HttpResponse response, bool closeAfter, bool headOnly,
                                    const OwnedAccessRecord* access) {
  conn->getLoop()->assertInLoopThread();
  if (!conn->connected()) return;  // closed while the answer was computed
  ConnectionState* state = findState(conn);
  if (state == nullptr || state->pending != id) return;
  state->pending = 0;
  deferred_.fetch_sub(1, std::memory_order_relaxed);
  Buffer output;
  std::optional<AccessRecord> record;
  if (access != nullptr) record = access->view();
  Next next =
      finish(conn, state, &response, closeAfter, headOnly, &output, record ? &*record : nullptr);
  resume(conn, state, next, &output);
}

// After the answer that held up the connection: the requests that waited behind it are answered
// now, into the same output, so they leave with it in one write.
void HttpServer::resume(const TcpConnectionPtr& conn, ConnectionState* state, Next next,
                        Buffer* output) {
  if (next == Next::kContinue && state->held) {
    processRequests(conn, state, state->held.get(), output);
  } else {
    sendOutput(conn, *output);
    if (next == Next::kClose) {
      conn->shutdown();
      state->held.reset();  // the requests behind a "close" are not answered (RFC 9112 9.6)
    }
  }
  updateReading(conn, state);
  forgetIfIdle(conn, state);  // `state` is gone if it was idle
}
//! [onDeferredResponse]

//! [finish]
HttpServer::Next HttpServer::finish(const TcpConnectionPtr& conn, ConnectionState* state,
                                    HttpResponse* response, bool closeAfter, bool headOnly,
                                    Buffer* output, const AccessRecord* access) {
  response->setHeadOnly(headOnly);
  // A handler may ask to close, but cannot keep open what the client asked to close, nor what a
  // stopping server is closing.
  response->setCloseConnection(response->closeConnection() || closeAfter || stopping());
  response->appendToBuffer(output, kServerName, httpDateNow());
  if (access != nullptr) {
    // One line per answer, as nginx's access log: client, request line, status, body bytes,
    // and the time from the complete request to its answer.
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - access->start);
    LOG_INFO << conn->peerAddress().toIpPort() << " \"" << access->method << ' ' << access->target
             << ' ' << access->version << "\" " << response->statusCode() << ' '
             << (headOnly ? 0 : response->contentLength()) << ' '
             << static_cast<int64_t>(micros.count()) << "us";
  }
  const Next done = response->closeConnection() ? Next::kClose : Next::kContinue;
  if (!response->hasFile() || headOnly) return done;  // (HEAD: the file closes unread)
  // A file body follows its head, streamed one chunk per write-complete (FileSender). The
  // answers before it, its head and its first chunk leave in one send().
  auto sender = std::make_unique<FileSender>(response->releaseFile(), response->contentLength());
  bytesOut_.fetch_add(output->readableBytes(), std::memory_order_relaxed);
  FileSender::State sending = sender->start(conn, output->view());
  output->retrieveAll();
  if (sending == FileSender::State::kSending) {
    state->sender = std::move(sender);  // the requests behind it wait for the last chunk
    state->closeAfterFile = done == Next::kClose;
    return Next::kWait;
  }
  bytesOut_.fetch_add(sender->bytesSent(), std::memory_order_relaxed);
  // kDone: it fitted in one chunk. kAborted: unreadable file, the connection is closed already.
  return sending == FileSender::State::kDone ? done : Next::kWait;
}
//! [finish]

/// The answer to input the parser refused: the status, a one-line explanation, and "close"
/// (after malformed input the framing of whatever follows cannot be trusted, RFC 9112 9.3).
HttpServer::Next HttpServer::appendErrorResponse(const TcpConnectionPtr& conn,
                                                 ConnectionState* state, Buffer* output) {
  const HttpContext& context = *state->context;
  HttpResponse response(/*closeConnection=*/true);
  response.setStatusCode(context.errorStatus());
  response.setContentType("text/plain");
  response.setBody(std::to_string(context.errorStatus()) + " " + response.reason() + ": " +
                   context.errorDetail() + "\n");
  std::optional<AccessRecord> access;
  if (Logger::enabled(LogLevel::kInfo)) access = AccessRecord{};  // no request line to show
  return finish(conn, state, &response, /*closeAfter=*/true, /*headOnly=*/false, output,
                access ? &*access : nullptr);
}

void HttpServer::sendOutput(const TcpConnectionPtr& conn, const Buffer& output) {
  if (output.readableBytes() == 0) return;
  bytesOut_.fetch_add(output.readableBytes(), std::memory_order_relaxed);
  conn->send(output.view());
}

//! [updateReading]
// Reading stops while the client is too far ahead of us: when the input held behind a pending
// answer, or the output it has not read yet, passed its bound. Each resumes by itself (the answer
// arrives, the output drains), and reading resumes when neither holds.
void HttpServer::updateReading(const TcpConnectionPtr& conn, ConnectionState* state) {
  bool heldFull = state->held && state->held->readableBytes() >= kMaxHeldInput;
  bool stop = heldFull || state->outputFull;
  if (stop == state->readStopped) return;
  state->readStopped = stop;
  if (stop) {
    conn->stopRead();
  } else {
    conn->startRead();
  }
}
//! [updateReading]

void HttpServer::onHighWaterMark(const TcpConnectionPtr& conn) {
  ConnectionState* state = stateOf(conn);
  state->outputFull = true;
  updateReading(conn, state);
}

//! [onWriteComplete]
void HttpServer::onWriteComplete(const TcpConnectionPtr& conn) {
  ConnectionState* state = findState(conn);
  if (state == nullptr) return;  // idle: no file being sent, no output over the mark
  state->outputFull = false;     // everything sent has reached the kernel
  if (state->sender) {
    FileSender::State sending = state->sender->onWriteComplete(conn);  // the next chunk
    if (sending == FileSender::State::kSending) return;
    bytesOut_.fetch_add(state->sender->bytesSent(), std::memory_order_relaxed);
    state->sender.reset();
    if (sending == FileSender::State::kAborted) return;  // closed by force
    // The last chunk is out: "close" (asked for then, or a stop that began meanwhile) shuts
    // down now, or else the held requests go on.
    Buffer output;
    bool close = state->closeAfterFile || stopping();
    resume(conn, state, close ? Next::kClose : Next::kContinue, &output);
    return;
  }
  updateReading(conn, state);
}
//! [onWriteComplete]

//! [stop]
void HttpServer::stop(Clock::duration timeout, std::function<void()> onStopped) {
  getLoop()->assertInLoopThread();
  if (stopping_.exchange(true, std::memory_order_relaxed)) {
    stopDeadline_ = Clock::now();  // a second request to stop: close what is left now
    checkStopped(/*force=*/true);
    return;
  }
  onStopped_ = std::move(onStopped);
  stopDeadline_ = Clock::now() + timeout;
  LOG_INFO << "HttpServer " << server_.name() << ": stopping, " << server_.connectionCount()
           << " connections open";
  // 1. Nothing new: the listening socket is closed, so a connect is refused from now on (and not
  //    left hanging in a backlog nobody accepts from).
  server_.stopAccepting();
  // 2. Each connection, on its own loop: an idle one is shut down now; a busy one sees stopping_
  //    and closes after the answer it is working on (finish() adds "Connection: close").
  server_.forEachConnection([this](const TcpConnectionPtr& conn) {
    conn->getLoop()->runInLoop([this, conn] { closeIfIdle(conn); });
  });
  // 3. Wait for every connection to close, up to the deadline. Polling is simple, and cheap for
  //    the few seconds a stop lasts; a connection's close reaches the map on this loop anyway.
  stopTimer_ = getLoop()->runEvery(kStopPollInterval, [this] { checkStopped(/*force=*/false); });
  checkStopped(/*force=*/false);  // nothing open: done at once
}

void HttpServer::closeIfIdle(const TcpConnectionPtr& conn) {
  if (!conn->connected()) return;  // closing already
  ConnectionState* state = findState(conn);
  bool idle = state == nullptr || state->idle();
  // FIN as soon as any answer still queued has been written: the client reads all of it, then
  // EOF. The connection closes when the client closes its side (as clients do on EOF).
  if (idle) conn->shutdown();
}

void HttpServer::checkStopped(bool force) {
  getLoop()->assertInLoopThread();
  if (stopped_) return;
  if ((force || Clock::now() >= stopDeadline_) && server_.connectionCount() > 0) {
    // 4. Past the bound (or asked twice): what is still open is closed now, answers in flight
    //    are lost. Repeated on every later look, for a connection that was still being set up.
    if (!forced_) {
      LOG_WARN << "HttpServer " << server_.name() << ": " << server_.connectionCount()
               << " connection(s) still open at the stop's bound, closing them";
      forced_ = true;
    }
    server_.forEachConnection([](const TcpConnectionPtr& conn) { conn->forceClose(); });
  }
  // Done only once the map is empty, and never in the round that closed the last connection by
  // force: its removal queues one more functor (connectDestroyed), which must run before the
  // loop quits. The poll timer calls us again in a later round.
  if (force || server_.connectionCount() > 0) return;
  stopped_ = true;
  getLoop()->cancel(stopTimer_);
  LOG_INFO << "HttpServer " << server_.name() << ": stopped";
  std::function<void()> done = std::move(onStopped_);
  if (done) done();
}
//! [stop]

}  // namespace net
