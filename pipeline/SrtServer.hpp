#pragma once
// SRT listener (libsrt): routes publishers by streamid "#!::r={lesson},m=publish,s=NAME,t=TOKEN"
// (SRT Access Control syntax). Wrong token / unknown lesson are rejected during the
// handshake with an SRT rejection reason (1401/1403/1404), so no media is ever accepted.
// One thread epolls the listener and all connections; MPEG-TS goes to the PushSink.
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>

#include "pipeline/PublishHandler.hpp"

struct sockaddr;

namespace pipeline {

struct SrtStreamId {
    std::string lessonId, source, token, mode;
    bool transcode = false;  // "transcode=1" item
};
// Parses the access-control streamid; throws std::invalid_argument.
SrtStreamId parseSrtStreamId(const std::string& streamid);

class SrtServer {
public:
    SrtServer(const std::string& host, uint16_t port, PublishHandler& handler);  // throws
    ~SrtServer();
    SrtServer(const SrtServer&) = delete;
    SrtServer& operator=(const SrtServer&) = delete;

    uint16_t port() const { return port_; }
    size_t connections() const { return connections_.load(); }
    uint64_t refused() const { return refused_.load(); }

private:
    static int onListen(void* self, int socket, int hsVersion, const ::sockaddr* peer,
                        const char* streamid);
    void loop();

    PublishHandler& handler_;
    int listener_ = -1, epoll_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<size_t> connections_{0};
    std::atomic<uint64_t> refused_{0};
    std::thread thread_;
};

}  // namespace pipeline
