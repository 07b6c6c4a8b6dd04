// HttpServer: the Router served over HTTP/1.1 by libmicrohttpd (docs/decisions/0002), with request
// ids, an access log, request metrics, a body limit and graceful shutdown. The only file that
// includes <microhttpd.h> is server.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aliquot/core/clock.h"
#include "aliquot/core/mutex.h"
#include "aliquot/core/result.h"
#include "aliquot/core/thread_annotations.h"
#include "aliquot/http/metrics.h"
#include "aliquot/http/router.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace aliquot::http {

struct ServerOptions {
  // A numeric address or a host name resolved at start ("127.0.0.1", "::1", "0.0.0.0").
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port; read it back with Port().
  // Connections served at once, each by a thread of its own. A request waiting for its append to
  // be durable holds only its own connection, so the appends of many tablets wait for one group
  // commit together. A connection beyond the limit is closed as soon as it is accepted.
  unsigned max_connections = 64;
  // Bodies above this are refused with 413 before the handler runs.
  std::size_t max_body_bytes = std::size_t{1} << 20;
  // PUT requests to paths under this prefix ("/api/v1/files/") carry a file, not a JSON object:
  // their bodies may be up to max_upload_bytes instead. Empty: no such paths.
  std::string upload_path_prefix;
  std::size_t max_upload_bytes = std::size_t{1} << 20;
  // A keep-alive connection idle this long is closed; frees slots held by stalled clients.
  std::chrono::seconds idle_timeout{60};
  // Receives one canonical JSON line per request: {"bytes","duration_us","method","path",
  // "remote","request_id","status","time"}. Called from connection threads; must be thread-safe.
  std::function<void(std::string_view)> access_log;
  // The time written in access log lines; nullptr: the system clock. Must outlive the server.
  Clock* clock = nullptr;
  // Seeds generated request ids; nullopt: a seed from the operating system's random source.
  std::optional<std::uint64_t> request_id_seed;
};

class HttpServer {
 public:
  // Binds, listens and starts serving `router`, a thread per connection. `router` and `metrics`
  // must outlive the server; the router is only read. Registers aliquot_http_requests_total and
  // aliquot_http_request_duration_seconds in `metrics`. Returns kUnavailable naming address:port
  // and the operating system's reason when the address cannot be resolved or bound ("port in
  // use"), or when libmicrohttpd fails to start.
  static Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options,
                                                   const Router& router, Metrics& metrics);

  // Stops at once, cutting requests in flight, unless Shutdown ran first.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port bound, also after Shutdown.
  std::uint16_t Port() const { return port_; }

  // Stops accepting connections (new ones are refused), lets requests in flight finish for up to
  // `grace`, then closes every connection and joins their threads. Responses sent meanwhile carry
  // "Connection: close". A handler still running when the grace period ends is not interrupted:
  // the stop waits for it to return, then closes its connection unanswered. Idempotent; safe to
  // call from any thread but a handler's.
  void Shutdown(std::chrono::milliseconds grace) EXCLUDES(lifecycle_mutex_, state_mutex_);

  // Requests received whose response has not been sent in full.
  std::size_t InFlight() const EXCLUDES(state_mutex_);

 private:
  struct Exchange;  // Per request: body, timing, outcome; libmicrohttpd's con_cls.
  friend struct ServerCallbacks;

  HttpServer(const ServerOptions& options, const Router& router, Metrics& metrics);

  // The callbacks libmicrohttpd calls, from its connection threads.
  int OnRequest(MHD_Connection* connection, const char* url, const char* method,
                const char* upload_data, std::size_t* upload_data_size, void** context)
      EXCLUDES(state_mutex_);
  void OnCompleted(void* context) EXCLUDES(state_mutex_);
  // Counts the finished exchange in the metrics and writes its access log line.
  void Record(const Exchange& exchange);

  // Runs the matched handler (or refuses) and returns the response to queue.
  Response Dispatch(MHD_Connection* connection, Exchange& exchange);
  // Queues `response` on `connection`; records status and size in `exchange`.
  int Send(MHD_Connection* connection, Exchange& exchange, const Response& response);
  std::string NextRequestId();

  const ServerOptions options_;
  const Router& router_;
  Counter& requests_total_;
  Histogram& request_duration_;
  Clock* clock_;  // options_.clock or system_clock_.
  SystemClock system_clock_;
  std::uint64_t request_id_seed_ = 0;
  std::atomic<std::uint64_t> request_counter_{0};
  std::atomic<bool> shutting_down_{false};
  std::uint16_t port_ = 0;

  Mutex lifecycle_mutex_;  // Serialises Shutdown; held across the grace period.
  MHD_Daemon* daemon_ GUARDED_BY(lifecycle_mutex_) = nullptr;
  int listen_fd_ GUARDED_BY(lifecycle_mutex_) = -1;
  bool listen_fd_owned_ GUARDED_BY(lifecycle_mutex_) = false;  // True once quiesced.

  mutable Mutex state_mutex_;
  std::size_t in_flight_ GUARDED_BY(state_mutex_) = 0;
};

// True when `id` can be echoed as a request id: 1 to 64 characters of [A-Za-z0-9._-].
bool IsValidRequestId(std::string_view id);

}  // namespace aliquot::http
