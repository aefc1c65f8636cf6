#include "pipeline/Gst.hpp"

#include <atomic>
#include <mutex>

namespace pipeline::gst {

namespace {
std::atomic<size_t> live{0};

void onFinalized(gpointer, GObject*) {
    live.fetch_sub(1, std::memory_order_relaxed);
}

// Counts an object once until it is finalized (qdata marks it as counted).
void track(gpointer obj) {
    static GQuark quark = g_quark_from_static_string("cb-tracked");
    if (g_object_get_qdata(G_OBJECT(obj), quark)) return;
    g_object_set_qdata(G_OBJECT(obj), quark, GINT_TO_POINTER(1));
    live.fetch_add(1, std::memory_order_relaxed);
    g_object_weak_ref(G_OBJECT(obj), onFinalized, nullptr);
}

void onDeepAdded(GstBin*, GstBin*, GstElement* element, gpointer) {
    track(element);
}
}  // namespace

size_t liveObjects() {
    return live.load(std::memory_order_relaxed);
}

void ensureInit() {
    static std::once_flag once;
    std::call_once(once, [] { gst_init(nullptr, nullptr); });
}

GstElement* make(const char* factory, const char* name) {
    ensureInit();
    GstElement* e = gst_element_factory_make(factory, name);
    if (!e) throw std::runtime_error(std::string("GStreamer element missing: ") + factory);
    track(e);
    return e;
}

Pipeline::Pipeline(const std::string& name) {
    ensureInit();
    pipeline_ = gst_pipeline_new(name.c_str());
    gst_object_ref_sink(pipeline_);
    track(pipeline_);
    g_signal_connect(pipeline_, "deep-element-added", G_CALLBACK(onDeepAdded), nullptr);
    bus_.reset(gst_element_get_bus(pipeline_));
}

Pipeline::~Pipeline() {
    stop();
    bus_.reset();
    gst_object_unref(pipeline_);
}

GstElement* Pipeline::add(GstElement* e) {
    if (!gst_bin_add(GST_BIN(pipeline_), e)) throw std::runtime_error("gst_bin_add failed");
    return e;
}

GstElement* Pipeline::byName(const char* name) const {
    GstElement* e = gst_bin_get_by_name(GST_BIN(pipeline_), name);
    if (e) gst_object_unref(e);  // the bin keeps it alive
    return e;
}

void Pipeline::play() {
    if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        throw std::runtime_error("pipeline refused to start");
}

void Pipeline::stop() {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
}

void link(GstElement* a, GstElement* b) {
    if (!gst_element_link(a, b)) {
        std::string an = GST_OBJECT_NAME(a), bn = GST_OBJECT_NAME(b);
        throw std::runtime_error("cannot link " + an + " to " + bn);
    }
}

void setCaps(GstElement* capsfilter, const char* caps) {
    GstCaps* c = gst_caps_from_string(caps);
    g_object_set(capsfilter, "caps", c, nullptr);
    gst_caps_unref(c);
}

std::string capsString(const GstCaps* caps) {
    if (!caps) return {};
    gchar* s = gst_caps_to_string(caps);
    std::string out(s);
    g_free(s);
    return out;
}

}  // namespace pipeline::gst
