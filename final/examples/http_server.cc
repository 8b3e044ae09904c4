// An HTTP/1.1 server: "/" is a small HTML page, "/hello" is "Hello, World!" in text/plain,
// anything else is 404. GET and HEAD only. --threads N adds N sub-reactor threads.
#include <cstdio>
#include <string>
#include <system_error>

#include "CommandLine.h"
#include "EventLoop.h"
#include "HttpRequest.h"
#include "HttpResponse.h"
#include "HttpServer.h"
#include "StopSignal.h"

using namespace net;

namespace {

const char kIndexPage[] =
    "<!DOCTYPE html>\n"
    "<html><head><title>final</title></head>\n"
    "<body><h1>It works</h1><p>Try <a href=\"/hello\">/hello</a>.</p></body></html>\n";

/// The routes. Runs on a connection's loop thread; touches no shared state.
void handle(const HttpRequest& request, HttpResponse* response) {
  if (request.method() != "GET" && request.method() != "HEAD") {
    response->setStatusCode(405);
    response->addHeader("Allow", "GET, HEAD");  // RFC 9110 15.5.6: a 405 MUST list them
    response->setContentType("text/plain");
    response->setBody("Method Not Allowed\n");
  } else if (request.path() == "/") {
    response->setContentType("text/html; charset=utf-8");
    response->setBody(kIndexPage);
  } else if (request.path() == "/hello") {
    response->setContentType("text/plain");
    response->setBody("Hello, World!");
  } else {
    response->setStatusCode(404);
    response->setContentType("text/plain");
    response->setBody("Not Found\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 8080;
  int threads = 0;
  std::string address = "127.0.0.1";
  CommandLine cli("http_server", "HTTP/1.1 server: / (HTML), /hello (text), 404 otherwise.");
  cli.addInt("port", &port, 0, 65535, "TCP port to listen on, 0 for an ephemeral port");
  cli.addString("address", &address, "IP address to listen on");
  cli.addInt("threads", &threads, 0, 64, "sub-reactor threads; 0 serves on the main loop");
  cli.parse(argc, argv);
  auto addr = InetAddress::parse(address, static_cast<uint16_t>(port));
  if (!addr) {
    std::fprintf(stderr, "http_server: '%s' is not a numeric IP address\n", address.c_str());
    return 2;
  }

  try {
    EventLoop loop;
    // Before any loop thread starts: the threads inherit the blocked SIGINT/SIGTERM.
    StopSignal stop(&loop, [&loop] { loop.quit(); });
    HttpServer server(&loop, *addr, "http");
    server.setThreadNum(threads);
    server.setHttpCallback(handle);
    server.start();
    announceListening(server.listenAddress());
    loop.loop();
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "http_server: %s\n", e.what());  // e.g. "bind: Address already in use"
    return 1;
  }
  return 0;
}
