#include "pipeline/SrtServer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <srt/access_control.h>
#include <srt/srt.h>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace pipeline {

namespace {

void srtStartup() {
    static std::once_flag once;
    std::call_once(once, [] {
        srt_startup();
        srt_setloglevel(2);  // critical only: rejected handshakes and EAGAIN accepts are expected
    });
}

std::string peerName(const sockaddr* sa) {
    char buf[INET6_ADDRSTRLEN] = "?";
    if (!sa) return buf;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
    if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
    return buf;
}

int rejectCode(int status) {
    switch (status) {
        case 401:
            return SRT_REJX_UNAUTHORIZED;
        case 403:
            return SRT_REJX_FORBIDDEN;
        case 404:
            return SRT_REJX_NOTFOUND;
        case 409:
            return SRT_REJX_CONFLICT;
        default:
            return SRT_REJX_BAD_REQUEST;
    }
}

}  // namespace

SrtStreamId parseSrtStreamId(const std::string& sid) {
    if (sid.rfind("#!::", 0) != 0) throw std::invalid_argument("streamid must start with #!::");
    SrtStreamId out;
    std::string rest = sid.substr(4);
    size_t i = 0;
    while (i < rest.size()) {
        size_t comma = rest.find(',', i);
        if (comma == std::string::npos) comma = rest.size();
        std::string kv = rest.substr(i, comma - i);
        auto eq = kv.find('=');
        if (eq == std::string::npos)
            throw std::invalid_argument("streamid item without '=': " + kv);
        std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
        if (k == "r")
            out.lessonId = v;
        else if (k == "s")
            out.source = v;
        else if (k == "t")
            out.token = v;
        else if (k == "m")
            out.mode = v;
        else if (k == "transcode")
            out.transcode = v == "1" || v == "true";
        i = comma + 1;
    }
    if (out.lessonId.empty()) throw std::invalid_argument("streamid has no r= (lesson id)");
    if (out.mode.empty()) out.mode = "publish";
    if (out.mode != "publish")
        throw std::invalid_argument("only m=publish is served on the SRT port");
    if (out.source.empty()) out.source = "teacher";
    return out;
}

SrtServer::SrtServer(const std::string& host, uint16_t port, PublishHandler& handler)
    : handler_(handler) {
    srtStartup();
    listener_ = srt_create_socket();
    bool no = false;
    srt_setsockflag(listener_, SRTO_RCVSYN, &no, sizeof no);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET,
              host.empty() || host.find(':') != std::string::npos ? "0.0.0.0" : host.c_str(),
              &a.sin_addr);
    if (srt_bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) == SRT_ERROR ||
        srt_listen_callback(listener_,
                            reinterpret_cast<srt_listen_callback_fn*>(&SrtServer::onListen),
                            this) == SRT_ERROR ||
        srt_listen(listener_, 16) == SRT_ERROR) {
        std::string why = srt_getlasterror_str();
        srt_close(listener_);
        throw std::runtime_error("srt: cannot listen on port " + std::to_string(port) + ": " + why);
    }
    sockaddr_in bound{};
    int len = sizeof bound;
    srt_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(bound.sin_port);
    epoll_ = srt_epoll_create();
    int ev = SRT_EPOLL_IN | SRT_EPOLL_ERR;
    srt_epoll_add_usock(epoll_, listener_, &ev);
    thread_ = std::thread([this] { loop(); });
}

SrtServer::~SrtServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    srt_epoll_release(epoll_);
    srt_close(listener_);
}

// Runs on libsrt's receiver thread during the handshake: check before accepting.
int SrtServer::onListen(void* selfp, int socket, int, const sockaddr* peer, const char* streamid) {
    auto* self = static_cast<SrtServer*>(selfp);
    try {
        SrtStreamId id = parseSrtStreamId(streamid ? streamid : "");
        self->handler_.authorize({"srt", id.lessonId, id.source, id.token, peerName(peer)});
        return 0;
    } catch (const PublishRefused& e) {
        self->refused_++;
        srt_setrejectreason(socket, rejectCode(e.status()));
    } catch (const std::exception&) {
        self->refused_++;
        srt_setrejectreason(socket, SRT_REJX_BAD_REQUEST);
    }
    return -1;
}

void SrtServer::loop() {
    std::map<SRTSOCKET, std::unique_ptr<PushSink>> conns;
    std::vector<char> buf(1500);
    SRT_EPOLL_EVENT events[64];
    while (!stop_) {
        int n = srt_epoll_uwait(epoll_, events, 64, 300);
        for (int i = 0; i < n; ++i) {
            SRTSOCKET s = events[i].fd;
            if (s == listener_) {
                for (;;) {
                    sockaddr_storage ss{};
                    int len = sizeof ss;
                    SRTSOCKET c = srt_accept(listener_, reinterpret_cast<sockaddr*>(&ss), &len);
                    if (c == SRT_INVALID_SOCK) break;
                    char sid[512] = {};
                    int sidLen = sizeof sid - 1;
                    srt_getsockflag(c, SRTO_STREAMID, sid, &sidLen);
                    try {
                        SrtStreamId id =
                            parseSrtStreamId(std::string(sid, size_t(std::max(0, sidLen))));
                        auto sink = handler_.startPublish(
                            {"srt", id.lessonId, id.source, id.token,
                             peerName(reinterpret_cast<sockaddr*>(&ss)), id.transcode});
                        bool no = false;
                        srt_setsockflag(c, SRTO_RCVSYN, &no, sizeof no);
                        int ev = SRT_EPOLL_IN | SRT_EPOLL_ERR;
                        srt_epoll_add_usock(epoll_, c, &ev);
                        conns[c] = std::move(sink);
                    } catch (const std::exception&) {
                        refused_++;
                        srt_close(c);
                    }
                }
                continue;
            }
            auto it = conns.find(s);
            if (it == conns.end()) continue;
            bool drop = (events[i].events & SRT_EPOLL_ERR) != 0;
            for (int k = 0; k < 256 && !drop; ++k) {
                int r = srt_recvmsg(s, buf.data(), int(buf.size()));
                if (r > 0) {
                    if (!it->second->push(reinterpret_cast<uint8_t*>(buf.data()), size_t(r)))
                        drop = true;
                } else {
                    if (srt_getlasterror(nullptr) != SRT_EASYNCRCV) drop = true;
                    break;
                }
            }
            if (srt_getsockstate(s) >= SRTS_BROKEN) drop = true;
            if (drop) {
                srt_epoll_remove_usock(epoll_, s);
                srt_close(s);
                conns.erase(it);
            }
        }
        connections_ = conns.size();
    }
    for (auto& [s, sink] : conns) srt_close(s);
    conns.clear();
    connections_ = 0;
}

}  // namespace pipeline
