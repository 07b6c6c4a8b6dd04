#include "aliquot/http/server.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <random>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "aliquot/core/json.h"
#include "aliquot/http/response.h"

namespace aliquot::http {
namespace {

constexpr std::string_view kRequestIdHeader = "X-Request-Id";
constexpr std::size_t kMaxRequestIdLength = 64;

// "127.0.0.1:8080", "[::1]:8080": how messages name what was bound.
std::string HostPort(std::string_view host, std::uint16_t port) {
  std::string text;
  if (host.find(':') != std::string_view::npos) {
    text += '[';
    text += host;
    text += ']';
  } else {
    text += host;
  }
  text += ':';
  text += std::to_string(port);
  return text;
}

std::string SocketAddressText(const sockaddr* address) {
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> service{};
  socklen_t length = 0;
  if (address->sa_family == AF_INET) {
    length = sizeof(sockaddr_in);
  } else if (address->sa_family == AF_INET6) {
    length = sizeof(sockaddr_in6);
  } else {
    return "unknown";
  }
  if (getnameinfo(address, length, host.data(), host.size(), service.data(), service.size(),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "unknown";
  }
  return HostPort(host.data(), static_cast<std::uint16_t>(std::atoi(service.data())));
}

// strerror is not thread-safe; this is glibc's strerror_r, which returns the text.
std::string ErrnoText(int error) {
  std::array<char, 256> buffer{};
  return strerror_r(error, buffer.data(), buffer.size());
}

// Resolves `address` and returns a listening, non-blocking socket bound to it. libmicrohttpd
// would bind for us, but then a failure reaches us only as NULL; binding here lets the error name
// the address and the operating system's reason ("Address already in use").
Result<int> Listen(const std::string& address, std::uint16_t port) {
  const std::string where = HostPort(address, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int resolved = getaddrinfo(address.c_str(), service.c_str(), &hints, &found);
  if (resolved != 0) {
    return Unexpected(
        Unavailable("cannot listen on " + where + ": " + gai_strerror(resolved), "address"));
  }
  std::string reason = "no address to bind";
  int fd = -1;
  for (addrinfo* candidate = found; candidate != nullptr; candidate = candidate->ai_next) {
    fd = socket(candidate->ai_family, candidate->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                candidate->ai_protocol);
    if (fd < 0) {
      reason = ErrnoText(errno);
      continue;
    }
    // A restarted server rebinds at once although connections of its predecessor linger in
    // TIME_WAIT; SO_REUSEADDR still refuses a port another process listens on.
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, candidate->ai_addr, candidate->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
      break;
    }
    reason = ErrnoText(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) return Unexpected(Unavailable("cannot listen on " + where + ": " + reason, "port"));
  return fd;
}

// A bijection on 64 bits (splitmix64's finaliser): distinct counters give distinct ids, and ids
// do not reveal how many requests the server has seen.
std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Methods outside this set share one label value, so that a client inventing methods cannot
// grow the metrics without bound.
std::string_view MethodLabel(std::string_view method) {
  static constexpr std::array<std::string_view, 7> kKnown = {"GET",   "HEAD",   "POST",   "PUT",
                                                             "PATCH", "DELETE", "OPTIONS"};
  for (std::string_view known : kKnown) {
    if (known == method) return known;
  }
  return "other";
}

MHD_Result CollectField(void* cls, MHD_ValueKind /*kind*/, const char* key, const char* value) {
  auto* fields = static_cast<Fields*>(cls);
  fields->emplace_back(key != nullptr ? key : "", value != nullptr ? value : "");
  return MHD_YES;
}

}  // namespace

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// What the server keeps per request between libmicrohttpd's callbacks.
struct HttpServer::Exchange {
  std::chrono::steady_clock::time_point start;
  Timestamp time;
  std::string method;
  std::string path;
  std::string request_id;
  std::string remote;
  std::string body;
  std::size_t body_limit = 0;  // The most this request's body may hold.
  bool too_large = false;
  std::string route = "unmatched";
  int status = 0;  // 0 until a response is queued.
  std::size_t bytes = 0;
};

// The C entry points: they find the server in their closure and keep exceptions from crossing
// into C. Returning MHD_NO makes libmicrohttpd close the connection.
struct ServerCallbacks {
  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char* /*version*/, const char* upload_data,
                              std::size_t* upload_data_size, void** context) {
    try {
      return static_cast<HttpServer*>(cls)->OnRequest(connection, url, method, upload_data,
                                                      upload_data_size, context) != 0
                 ? MHD_YES
                 : MHD_NO;
    } catch (...) {
      return MHD_NO;
    }
  }

  static void OnCompleted(void* cls, MHD_Connection* /*connection*/, void** context,
                          MHD_RequestTerminationCode /*code*/) {
    void* exchange = *context;
    *context = nullptr;
    if (exchange == nullptr) return;
    static_cast<HttpServer*>(cls)->OnCompleted(exchange);
  }
};

HttpServer::HttpServer(const ServerOptions& options, const Router& router, Metrics& metrics)
    : options_(options),
      router_(router),
      requests_total_(metrics.AddCounter("aliquot_http_requests_total",
                                         "HTTP requests answered, by method, route and status.",
                                         {"method", "route", "status"})),
      request_duration_(metrics.AddHistogram(
          "aliquot_http_request_duration_seconds",
          "Time from a request's headers to the last byte of its response, by route.", {"route"},
          LatencyBuckets())),
      clock_(options.clock != nullptr ? options.clock : &system_clock_) {
  if (options.request_id_seed) {
    request_id_seed_ = *options.request_id_seed;
  } else {
    std::random_device random;
    request_id_seed_ = (std::uint64_t{random()} << 32) ^ random();
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                      const Router& router, Metrics& metrics) {
  ALIQUOT_ASSIGN_OR_RETURN(const int fd, Listen(options.address, options.port));
  std::unique_ptr<HttpServer> server(new HttpServer(options, router, metrics));

  // A thread per connection, and one that accepts them. A pool of a few threads served each
  // connection's requests in turn, so a tablet's entry waited for the durable appends of those
  // before it on its thread, and a commit gathered 1.3 of them (docs/benchmarks.md, batch_bench).
  // MHD_USE_ITC lets MHD_quiesce_daemon wake the accepting thread when Shutdown stops accepting.
  const unsigned flags =
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC;
  const unsigned connections = options.max_connections > 0 ? options.max_connections : 1;
  const auto idle_seconds = static_cast<unsigned>(options.idle_timeout.count());
  MHD_Daemon* daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &ServerCallbacks::OnRequest, server.get(),
      MHD_OPTION_LISTEN_SOCKET, static_cast<MHD_socket>(fd), MHD_OPTION_NOTIFY_COMPLETED,
      &ServerCallbacks::OnCompleted, server.get(), MHD_OPTION_CONNECTION_LIMIT, connections,
      MHD_OPTION_CONNECTION_TIMEOUT, idle_seconds, MHD_OPTION_END);
  if (daemon == nullptr) {
    // MHD leaves the socket open when it refuses its options; close it unless it already did.
    if (fcntl(fd, F_GETFD) != -1) close(fd);
    return Unexpected(Unavailable("cannot serve HTTP on " +
                                  HostPort(options.address, options.port) +
                                  ": libmicrohttpd failed to start"));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  MutexLock lock(server->lifecycle_mutex_);
  server->daemon_ = daemon;
  server->listen_fd_ = fd;
  server->port_ = info != nullptr ? info->port : options.port;
  return server;
}

HttpServer::~HttpServer() { Shutdown(std::chrono::milliseconds(0)); }

void HttpServer::Shutdown(std::chrono::milliseconds grace) {
  MutexLock lifecycle(lifecycle_mutex_);
  if (daemon_ == nullptr) return;
  shutting_down_.store(true);

  // Stop accepting. MHD only stops polling the socket, so the kernel would still complete
  // handshakes into the backlog, and those clients would hang until the daemon stops; shutting
  // the socket down as well makes new connections fail at once with "connection refused".
  const MHD_socket quiesced = MHD_quiesce_daemon(daemon_);
  if (quiesced != MHD_INVALID_SOCKET) {
    ::shutdown(quiesced, SHUT_RDWR);
    listen_fd_owned_ = true;  // MHD leaves a quiesced socket for its owner to close.
  }

  // core's CondVar has no timed wait; polling a counter for at most `grace` costs nothing here.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (InFlight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }

  MHD_stop_daemon(daemon_);  // Closes the remaining connections and joins their threads.
  daemon_ = nullptr;
  if (listen_fd_owned_) close(listen_fd_);
  listen_fd_ = -1;
}

std::size_t HttpServer::InFlight() const {
  MutexLock lock(state_mutex_);
  return in_flight_;
}

std::string HttpServer::NextRequestId() {
  const std::uint64_t id = Mix(request_id_seed_ + request_counter_.fetch_add(1));
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string text(16, '0');
  for (std::size_t i = 0; i < text.size(); ++i) {
    text[i] = kDigits[(id >> (60 - 4 * i)) & 0xf];
  }
  return text;
}

int HttpServer::OnRequest(MHD_Connection* connection, const char* url, const char* method,
                          const char* upload_data, std::size_t* upload_data_size, void** context) {
  if (*context == nullptr) {
    // First call: the headers are in, the body (if any) is not.
    auto exchange = std::make_unique<Exchange>();
    exchange->start = std::chrono::steady_clock::now();
    exchange->time = clock_->Now();
    exchange->method = method;
    exchange->path = url;
    const bool upload = !options_.upload_path_prefix.empty() && exchange->method == "PUT" &&
                        exchange->path.starts_with(options_.upload_path_prefix);
    exchange->body_limit = upload ? options_.max_upload_bytes : options_.max_body_bytes;
    const char* client_id =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, kRequestIdHeader.data());
    exchange->request_id = (client_id != nullptr && IsValidRequestId(client_id))
                               ? std::string(client_id)
                               : NextRequestId();
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    exchange->remote = (info != nullptr && info->client_addr != nullptr)
                           ? SocketAddressText(info->client_addr)
                           : "unknown";
    Exchange& state = *exchange;
    // Counted and handed to MHD together, with nothing that can throw in between, so that
    // OnCompleted's decrement always matches this increment.
    {
      MutexLock lock(state_mutex_);
      ++in_flight_;
    }
    *context = exchange.release();
    // A declared length above the limit is refused before a byte of the body is read; MHD then
    // closes the connection rather than read the rest.
    const char* length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != nullptr) {
      const Result<std::uint64_t> declared = ParseUnsigned(length, "Content-Length");
      if (declared && *declared > state.body_limit) {
        state.too_large = true;
        return Send(connection, state, PayloadTooLargeResponse(state.body_limit, state.request_id));
      }
    }
    return 1;
  }

  Exchange& exchange = *static_cast<Exchange*>(*context);
  if (*upload_data_size > 0) {
    // A chunked body has no declared length: keep reading, but stop keeping, past the limit.
    if (!exchange.too_large) {
      if (*upload_data_size > exchange.body_limit - exchange.body.size()) {
        exchange.too_large = true;
        std::string().swap(exchange.body);
      } else {
        exchange.body.append(upload_data, *upload_data_size);
      }
    }
    *upload_data_size = 0;
    return 1;
  }
  if (exchange.status != 0) return 1;  // Answered already (the early 413).
  if (exchange.too_large) {
    return Send(connection, exchange,
                PayloadTooLargeResponse(exchange.body_limit, exchange.request_id));
  }
  return Send(connection, exchange, Dispatch(connection, exchange));
}

Response HttpServer::Dispatch(MHD_Connection* connection, Exchange& exchange) {
  Request request;
  request.method = exchange.method;
  request.path = exchange.path;
  request.request_id = exchange.request_id;
  request.remote_address = exchange.remote;
  request.body = std::move(exchange.body);
  MHD_get_connection_values(connection, MHD_HEADER_KIND, &CollectField, &request.headers);
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &CollectField,
                            &request.query_params);

  RouteMatch match = router_.Match(request.method, request.path);
  if (match.outcome != RouteMatch::Outcome::kNotFound) exchange.route = match.pattern;
  switch (match.outcome) {
    case RouteMatch::Outcome::kNotFound:
      return ErrorResponse(
          NotFound("no resource at " + request.path + " (method " + request.method + ")", "path"),
          request.request_id);
    case RouteMatch::Outcome::kMethodNotAllowed:
      return MethodNotAllowedResponse(request.method, request.path, match.allowed,
                                      request.request_id);
    case RouteMatch::Outcome::kFound:
      break;
  }
  request.path_params = std::move(match.params);
  // Our handlers throw nothing, but the libraries under them may (std::bad_alloc); this is the
  // adapter's edge, where such an exception becomes a 500 rather than a dead worker thread.
  try {
    return (*match.handler)(request);
  } catch (const std::exception& e) {
    return ErrorResponse(Internal(std::string("unexpected failure: ") + e.what()),
                         request.request_id);
  } catch (...) {
    return ErrorResponse(Internal("unexpected failure"), request.request_id);
  }
}

int HttpServer::Send(MHD_Connection* connection, Exchange& exchange, const Response& response) {
  // MUST_COPY: the response outlives this call, the string does not. One copy of a small body
  // is cheaper than the bookkeeping of handing the buffer over.
  MHD_Response* reply = MHD_create_response_from_buffer(
      response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY);
  if (reply == nullptr) return 0;
  MHD_add_response_header(reply, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
  MHD_add_response_header(reply, kRequestIdHeader.data(), exchange.request_id.c_str());
  for (const auto& [name, value] : response.headers) {
    MHD_add_response_header(reply, name.c_str(), value.c_str());
  }
  // While shutting down, ask keep-alive clients to take their next request elsewhere.
  if (shutting_down_.load()) {
    MHD_add_response_header(reply, MHD_HTTP_HEADER_CONNECTION, "close");
  }
  exchange.status = response.status;
  exchange.bytes = response.body.size();
  const MHD_Result queued =
      MHD_queue_response(connection, static_cast<unsigned>(response.status), reply);
  MHD_destroy_response(reply);
  return queued == MHD_YES ? 1 : 0;
}

void HttpServer::OnCompleted(void* context) {
  std::unique_ptr<Exchange> exchange(static_cast<Exchange*>(context));
  try {
    Record(*exchange);
  } catch (...) {
    // Losing a log line or a sample must not lose the in-flight count below.
  }
  // Last, so that Shutdown's wait also covers the metrics and the log line.
  MutexLock lock(state_mutex_);
  --in_flight_;
}

void HttpServer::Record(const Exchange& exchange) {
  if (exchange.status == 0) return;  // The client left before a response was queued.
  const auto elapsed = std::chrono::steady_clock::now() - exchange.start;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  const std::string status = std::to_string(exchange.status);
  requests_total_.Increment({MethodLabel(exchange.method), exchange.route, status});
  request_duration_.Observe({exchange.route},
                            static_cast<double>(micros) / static_cast<double>(kMicrosPerSecond));
  if (!options_.access_log) return;
  // Method and path are the client's bytes; the log line must stay valid JSON whatever they are.
  Json line = Json::MakeObject();
  line.Set("time", Json(exchange.time.ToRfc3339()));
  line.Set("request_id", Json(exchange.request_id));
  line.Set("remote", Json(exchange.remote));
  line.Set("method", Json(ToValidUtf8(exchange.method)));
  line.Set("path", Json(ToValidUtf8(exchange.path)));
  line.Set("status", Json(exchange.status));
  line.Set("bytes", Json(static_cast<std::uint64_t>(exchange.bytes)));
  line.Set("duration_us", Json(static_cast<std::int64_t>(micros)));
  options_.access_log(CanonicalJson(line));
}

}  // namespace aliquot::http
