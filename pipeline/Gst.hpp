#pragma once
// Small RAII adapters for the GStreamer C API: every ref we take is released by a
// destructor, so a pipeline torn down on any path leaks no elements.
#include <gst/gst.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace pipeline::gst {

// gst_init exactly once per process (thread-safe, idempotent).
void ensureInit();

struct ObjectUnref {
    void operator()(gpointer p) const {
        if (p) gst_object_unref(p);
    }
};
struct MiniObjectUnref {
    void operator()(GstMiniObject* p) const {
        if (p) gst_mini_object_unref(p);
    }
};
struct CapsUnref {
    void operator()(GstCaps* p) const {
        if (p) gst_caps_unref(p);
    }
};
struct MessageUnref {
    void operator()(GstMessage* p) const {
        if (p) gst_message_unref(p);
    }
};
struct SampleUnref {
    void operator()(GstSample* p) const {
        if (p) gst_sample_unref(p);
    }
};

template <class T>
using Ref = std::unique_ptr<T, ObjectUnref>;
using ElementRef = Ref<GstElement>;
using PadRef = Ref<GstPad>;
using BusRef = Ref<GstBus>;
using CapsRef = std::unique_ptr<GstCaps, CapsUnref>;
using MessageRef = std::unique_ptr<GstMessage, MessageUnref>;
using SampleRef = std::unique_ptr<GstSample, SampleUnref>;

// Creates an element or throws std::runtime_error naming the missing plugin.
GstElement* make(const char* factory, const char* name = nullptr);

// Elements alive that were made by make() or added anywhere inside a Pipeline (also the
// ones rtspsrc/decodebin create themselves), plus the pipelines: what teardown must
// bring back to the level before a source started (a leak check for tests and ops).
size_t liveObjects();

// A top-level pipeline: owns the ref, goes to NULL before the unref (which is what
// joins GStreamer's streaming threads).
class Pipeline {
public:
    explicit Pipeline(const std::string& name);
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    GstElement* get() const { return pipeline_; }
    GstBin* bin() const { return GST_BIN(pipeline_); }
    GstBus* bus() const { return bus_.get(); }
    // Adds (sinks the floating ref) and returns the element.
    GstElement* add(GstElement* e);
    GstElement* byName(const char* name) const;  // borrowed pointer
    void play();
    void stop();

private:
    GstElement* pipeline_;
    BusRef bus_;
};

// Links a chain of elements or throws with both names.
void link(GstElement* a, GstElement* b);
void setCaps(GstElement* capsfilter, const char* caps);
std::string capsString(const GstCaps* caps);

}  // namespace pipeline::gst
