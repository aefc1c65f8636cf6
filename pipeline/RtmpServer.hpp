#pragma once
// RTMP listener: one thread polls the listening socket and every connection (non-blocking
// sockets), drives an RtmpSession per connection and forwards FLV to the PushSink the
// PublishHandler returned. A bad or slow client only ever closes its own connection.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "pipeline/PublishHandler.hpp"

namespace pipeline {

class RtmpServer {
public:
    // Binds at once (throws std::runtime_error); port 0 picks a free one.
    RtmpServer(const std::string& host, uint16_t port, PublishHandler& handler);
    ~RtmpServer();
    RtmpServer(const RtmpServer&) = delete;
    RtmpServer& operator=(const RtmpServer&) = delete;

    uint16_t port() const { return port_; }
    size_t connections() const { return connections_.load(); }
    uint64_t refused() const { return refused_.load(); }
    uint64_t protocolErrors() const { return protocolErrors_.load(); }

private:
    struct Conn;
    void loop();

    PublishHandler& handler_;
    int listenFd_ = -1, wakeFd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<size_t> connections_{0};
    std::atomic<uint64_t> refused_{0}, protocolErrors_{0};
    std::thread thread_;
};

}  // namespace pipeline
