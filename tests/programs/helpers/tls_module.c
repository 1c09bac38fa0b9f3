/* A module for dlopen_tls: built with -ftls-model=initial-exec, so its
 * first variable lives in the static TLS block of every thread and must be
 * initialised by the dynamic loader in threads that already exist when it
 * is loaded; the second stays dynamic (allocated on first use). */
__thread int ie_value = 4242;
__thread int ie_array[4] = {1, 2, 3, 4};
__attribute__((tls_model("global-dynamic"))) __thread long dyn_value = 777;

int get_ie(void) { return ie_value; }
int sum_ie_array(void) { return ie_array[0] + ie_array[1] + ie_array[2] + ie_array[3]; }
long get_dyn(void) { return dyn_value; }
void set_all(int v) {
  ie_value = v;
  ie_array[0] = v;
  dyn_value = v;
}
void *ie_addr(void) { return &ie_value; }
