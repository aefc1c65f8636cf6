// A camera for the ingest tests: gst-rtsp-server serving H.264 (constrained baseline,
// 320x240 unless argv[3]) + AAC at rtsp://127.0.0.1:PORT/test, over TCP and UDP.
//   rtsp_test_server PORT [WIDTHxHEIGHT]
// Prints "ready" once listening; runs until SIGTERM/SIGINT.
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

static GMainLoop* loop = nullptr;

static gboolean quit(gpointer) {
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PORT [WIDTHxHEIGHT]\n", argv[0]);
        return 2;
    }
    gst_init(&argc, &argv);
    std::string size = argc > 2 ? argv[2] : "320x240";
    auto x = size.find('x');
    std::string w = size.substr(0, x), h = x == std::string::npos ? "240" : size.substr(x + 1);
    loop = g_main_loop_new(nullptr, FALSE);
    GstRTSPServer* server = gst_rtsp_server_new();
    gst_rtsp_server_set_service(server, argv[1]);
    gst_rtsp_server_set_address(server, "127.0.0.1");
    GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
    std::string launch = "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=" + w +
                         ",height=" + h +
                         ",framerate=30/1 ! videoconvert ! x264enc tune=zerolatency "
                         "speed-preset=ultrafast key-int-max=30 "
                         "! video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 "
                         "config-interval=-1 "
                         "audiotestsrc is-live=true freq=660 ! audioconvert ! audioresample ! "
                         "avenc_aac ! rtpmp4gpay name=pay1 pt=97 )";
    gst_rtsp_media_factory_set_launch(factory, launch.c_str());
    gst_rtsp_media_factory_set_shared(factory, TRUE);
    gst_rtsp_media_factory_set_protocols(
        factory, GstRTSPLowerTrans(GST_RTSP_LOWER_TRANS_TCP | GST_RTSP_LOWER_TRANS_UDP));
    GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
    gst_rtsp_mount_points_add_factory(mounts, "/test", factory);
    g_object_unref(mounts);
    if (gst_rtsp_server_attach(server, nullptr) == 0) {
        std::fprintf(stderr, "rtsp_test_server: cannot listen on port %s\n", argv[1]);
        return 1;
    }
    for (int sig : {SIGTERM, SIGINT}) g_unix_signal_add(sig, quit, nullptr);
    std::printf("ready rtsp://127.0.0.1:%s/test\n", argv[1]);
    std::fflush(stdout);
    g_main_loop_run(loop);
    g_object_unref(server);
    g_main_loop_unref(loop);
    return 0;
}
