#include "pipeline/RtmpServer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <list>
#include <stdexcept>
#include <vector>

#include "pipeline/RtmpSession.hpp"

namespace pipeline {

namespace {

constexpr size_t kMaxPendingOut = 1 << 20;
constexpr auto kPublishDeadline = std::chrono::seconds(15);  // handshake + publish
constexpr auto kIdle = std::chrono::seconds(30);

void nonBlocking(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

std::string peerName(const sockaddr_storage& ss) {
    char buf[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
    else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
    return buf;
}

}  // namespace

struct RtmpServer::Conn : RtmpSession::Listener {
    RtmpServer& server;
    int fd;
    std::string remote;
    RtmpSession session{*this};
    std::unique_ptr<PushSink> sink;
    std::chrono::steady_clock::time_point opened = std::chrono::steady_clock::now(),
                                          lastData = opened;
    bool closing = false;

    Conn(RtmpServer& s, int f, std::string r) : server(s), fd(f), remote(std::move(r)) {}
    ~Conn() override {
        sink.reset();
        ::close(fd);
    }
    std::string onPublish(const RtmpPublish& p) override {
        try {
            sink = server.handler_.startPublish(
                {"rtmp", p.lessonId, p.source, p.token, remote, p.transcode});
            return {};
        } catch (const PublishRefused& e) {
            server.refused_++;
            return e.what();
        } catch (const std::exception& e) {
            server.refused_++;
            return std::string("cannot start the source: ") + e.what();
        }
    }
    bool onFlv(const uint8_t* d, size_t n) override { return sink && sink->push(d, n); }

    // Writes what the session queued. False when the peer is gone or too slow.
    bool flush() {
        std::string& out = session.output();
        while (!out.empty()) {
            ssize_t w = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
            if (w > 0) {
                out.erase(0, size_t(w));
                continue;
            }
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            return false;
        }
        return out.size() <= kMaxPendingOut;
    }
};

RtmpServer::RtmpServer(const std::string& host, uint16_t port, PublishHandler& handler)
    : handler_(handler) {
    sockaddr_in6 a6{};
    sockaddr_in a4{};
    bool v6 = host.find(':') != std::string::npos;
    listenFd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listenFd_ < 0) throw std::runtime_error("rtmp: socket failed");
    int one = 1;
    setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc;
    if (v6) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons(port);
        if (inet_pton(AF_INET6, host.c_str(), &a6.sin6_addr) != 1)
            throw std::runtime_error("rtmp: bad address " + host);
        rc = ::bind(listenFd_, reinterpret_cast<sockaddr*>(&a6), sizeof a6);
    } else {
        a4.sin_family = AF_INET;
        a4.sin_port = htons(port);
        if (inet_pton(AF_INET, host.empty() ? "0.0.0.0" : host.c_str(), &a4.sin_addr) != 1)
            throw std::runtime_error("rtmp: bad address " + host);
        rc = ::bind(listenFd_, reinterpret_cast<sockaddr*>(&a4), sizeof a4);
    }
    if (rc != 0 || ::listen(listenFd_, 64) != 0) {
        ::close(listenFd_);
        throw std::runtime_error("rtmp: cannot listen on port " + std::to_string(port) + ": " +
                                 std::strerror(errno));
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(listenFd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(ss).sin6_port
                                           : reinterpret_cast<sockaddr_in&>(ss).sin_port);
    nonBlocking(listenFd_);
    wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    thread_ = std::thread([this] { loop(); });
}

RtmpServer::~RtmpServer() {
    stop_ = true;
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
    ::close(wakeFd_);
    ::close(listenFd_);
}

void RtmpServer::loop() {
    std::list<std::unique_ptr<Conn>> conns;
    std::vector<pollfd> fds;
    std::vector<uint8_t> buf(64 * 1024);
    while (!stop_) {
        fds.clear();
        fds.push_back({wakeFd_, POLLIN, 0});
        fds.push_back({listenFd_, POLLIN, 0});
        for (auto& c : conns)
            fds.push_back({c->fd, short(POLLIN | (c->session.output().empty() ? 0 : POLLOUT)), 0});
        ::poll(fds.data(), fds.size(), 500);
        if (stop_) break;
        if (fds[1].revents & POLLIN) {
            for (;;) {
                sockaddr_storage ss{};
                socklen_t len = sizeof ss;
                int fd = ::accept4(listenFd_, reinterpret_cast<sockaddr*>(&ss), &len,
                                   SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) break;
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                conns.push_back(std::make_unique<Conn>(*this, fd, peerName(ss)));
            }
        }
        auto now = std::chrono::steady_clock::now();
        size_t i = 2;
        for (auto it = conns.begin(); it != conns.end(); ++i) {
            Conn& c = **it;
            bool drop = false;
            // Connections accepted this round have no pollfd yet.
            short rev = i < fds.size() && fds[i].fd == c.fd ? fds[i].revents : 0;
            if (rev & (POLLIN | POLLHUP | POLLERR)) {
                // Bounded work per connection per round so one busy publisher cannot
                // starve the others.
                for (int round = 0; round < 16 && !drop; ++round) {
                    ssize_t r = ::recv(c.fd, buf.data(), buf.size(), 0);
                    if (r > 0) {
                        c.lastData = now;
                        if (!c.session.feed(buf.data(), size_t(r))) {
                            if (!c.session.publishing() &&
                                c.session.error().find("refused") == std::string::npos)
                                protocolErrors_++;
                            drop = true;
                        }
                        if (size_t(r) < buf.size()) break;
                    } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                        drop = true;
                    } else {
                        break;
                    }
                }
            }
            if (!c.flush()) drop = true;
            if (!c.session.publishing() && now - c.opened > kPublishDeadline) drop = true;
            if (now - c.lastData > kIdle) drop = true;
            if (drop) {
                c.flush();  // best effort: the onStatus error tells the client why
                it = conns.erase(it);
            } else {
                ++it;
            }
            connections_ = conns.size();
        }
        connections_ = conns.size();
    }
    conns.clear();
    connections_ = 0;
}

}  // namespace pipeline
