#pragma once
// A real WebSocket peer for the tests: libwebsockets' own client on its own context and
// thread. Collects received text messages; send() queues text.
#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

class WsTestClient {
public:
    WsTestClient(uint16_t port, const std::string& path) : path_(path), port_(port) {
        protocols_[0] = {"cb-test-client", &WsTestClient::callback, 0, 4096, 0, nullptr, 0};
        protocols_[1] = {nullptr, nullptr, 0, 0, 0, nullptr, 0};
        lws_context_creation_info info;
        std::memset(&info, 0, sizeof info);
        info.port = CONTEXT_PORT_NO_LISTEN;
        info.protocols = protocols_;
        info.user = this;
        ctx_ = lws_create_context(&info);
        lws_client_connect_info ci;
        std::memset(&ci, 0, sizeof ci);
        ci.context = ctx_;
        ci.address = "127.0.0.1";
        ci.port = port_;
        ci.path = path_.c_str();
        ci.host = "127.0.0.1";
        ci.origin = "127.0.0.1";
        ci.protocol = nullptr;
        ci.local_protocol_name = "cb-test-client";
        ci.pwsi = &wsi_;
        lws_client_connect_via_info(&ci);
        thread_ = std::thread([this] {
            while (!stop_) lws_service(ctx_, 0);
        });
    }
    ~WsTestClient() {
        stop_ = true;
        lws_cancel_service(ctx_);
        thread_.join();
        lws_context_destroy(ctx_);
    }
    void send(const std::string& text) {
        {
            std::lock_guard l(m_);
            out_.push_back(text);
        }
        lws_cancel_service(ctx_);
    }
    // Waits until `n` messages arrived or the connection failed/closed.
    bool waitMessages(size_t n, int seconds = 30) {
        std::unique_lock l(m_);
        return cv_.wait_for(l, std::chrono::seconds(seconds),
                            [&] { return received_.size() >= n; });
    }
    bool waitOpen(int seconds = 30) {
        std::unique_lock l(m_);
        cv_.wait_for(l, std::chrono::seconds(seconds), [&] { return open_ || failed_ || closed_; });
        return open_;
    }
    bool waitClosed(int seconds = 30) {
        std::unique_lock l(m_);
        return cv_.wait_for(l, std::chrono::seconds(seconds), [&] { return failed_ || closed_; });
    }
    std::vector<std::string> received() {
        std::lock_guard l(m_);
        return received_;
    }
    bool failed() {
        std::lock_guard l(m_);
        return failed_;
    }
    std::string failure() {
        std::lock_guard l(m_);
        return failure_;
    }

private:
    static int callback(lws* wsi, lws_callback_reasons reason, void*, void* in, size_t len) {
        lws_context* c = lws_get_context(wsi);
        auto* self = c ? static_cast<WsTestClient*>(lws_context_user(c)) : nullptr;
        if (!self) return 0;
        switch (reason) {
            case LWS_CALLBACK_CLIENT_ESTABLISHED: {
                std::lock_guard l(self->m_);
                self->open_ = true;
                self->cv_.notify_all();
                lws_callback_on_writable(wsi);
                break;
            }
            case LWS_CALLBACK_CLIENT_RECEIVE: {
                std::lock_guard l(self->m_);
                self->partial_.append(static_cast<const char*>(in), len);
                if (lws_is_final_fragment(wsi)) {
                    self->received_.push_back(std::move(self->partial_));
                    self->partial_.clear();
                    self->cv_.notify_all();
                }
                break;
            }
            case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
                std::lock_guard l(self->m_);
                self->wsi_ = nullptr;
                self->failed_ = true;
                self->failure_ =
                    in ? std::string(static_cast<const char*>(in),
                                     strnlen(static_cast<const char*>(in), len ? len : 256))
                       : "";
                self->cv_.notify_all();
                break;
            }
            case LWS_CALLBACK_CLIENT_CLOSED: {
                std::lock_guard l(self->m_);
                self->wsi_ = nullptr;
                self->closed_ = true;
                self->cv_.notify_all();
                break;
            }
            case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
                if (self->wsi_ && self->open_) lws_callback_on_writable(self->wsi_);
                break;
            case LWS_CALLBACK_CLIENT_WRITEABLE: {
                std::string msg;
                {
                    std::lock_guard l(self->m_);
                    if (self->out_.empty()) break;
                    msg = std::move(self->out_.front());
                    self->out_.pop_front();
                }
                std::vector<unsigned char> buf(LWS_PRE + msg.size());
                std::memcpy(buf.data() + LWS_PRE, msg.data(), msg.size());
                lws_write(wsi, buf.data() + LWS_PRE, msg.size(), LWS_WRITE_TEXT);
                lws_callback_on_writable(wsi);
                break;
            }
            default:
                break;
        }
        return 0;
    }

    std::string path_;
    uint16_t port_;
    lws_protocols protocols_[2];
    lws_context* ctx_ = nullptr;
    lws* wsi_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::string> out_;
    std::vector<std::string> received_;
    std::string partial_;
    std::string failure_;
    bool open_ = false, failed_ = false, closed_ = false;
};
