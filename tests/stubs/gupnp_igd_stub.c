/* Stand-in for libgupnp-igd-1.0.so.4, used only when running Debian's whip-client in tests.
 *
 * Why: whip-client links libsoup-2.4, while libnice (through GStreamer's nice/webrtc
 * plugins) links libgupnp-igd -> libgupnp-1.6 -> libsoup-3.0; libsoup aborts when both
 * majors are in one process. libnice only needs UPnP port mapping, which a test on a
 * veth pair never uses: returning no IGD object makes libnice skip UPnP, and libsoup-3
 * is never loaded. Loaded via LD_LIBRARY_PATH for the whip-client process only. */
#include <glib-object.h>

GType gupnp_simple_igd_get_type(void) { return G_TYPE_OBJECT; }
gpointer gupnp_simple_igd_thread_new(void) { return NULL; }
void gupnp_simple_igd_add_port(gpointer self, const gchar* protocol, guint external_port,
                               const gchar* local_ip, guint local_port, guint lease_duration,
                               const gchar* description) {
    (void)self; (void)protocol; (void)external_port; (void)local_ip; (void)local_port;
    (void)lease_duration; (void)description;
}
void gupnp_simple_igd_remove_port_local(gpointer self, const gchar* protocol,
                                        const gchar* local_ip, guint16 local_port) {
    (void)self; (void)protocol; (void)local_ip; (void)local_port;
}
