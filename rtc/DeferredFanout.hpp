#pragma once
// Routers with packets waiting to be fanned out on one worker. A Router that is attached
// holds the packets it receives during one pass of the worker's loop and fans them out
// together when the pass ends (a worker iteration hook that runs before the send batches
// are flushed). Normally that is one packet; when the worker falls behind (a keyframe's
// packets queued while the previous one went to hundreds of subscribers), each subscriber
// gets all waiting packets back to back, and SendBatch sends them as one UDP GSO datagram:
// the kernel's per-datagram cost is paid once per subscriber instead of once per packet.
// Worker thread only.
#include <algorithm>
#include <vector>

namespace rtc {

class Router;

class DeferredFanout {
public:
    void mark(Router* router) {
        if (std::find(dirty_.begin(), dirty_.end(), router) == dirty_.end())
            dirty_.push_back(router);
    }
    void forget(Router* router) {
        dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), router), dirty_.end());
    }
    void flush();  // Router.cpp

private:
    std::vector<Router*> dirty_;
};

}  // namespace rtc
