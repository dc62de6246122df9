# qemu-tests: the boot harness (a host program) and its scenarios.
$(BUILD)/qemu-tests/harness: $(BUILD)/qemu-tests/harness.o $(BUILD)/lib/libkiln.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

EXTRA_TEST_DEPS += $(BUILD)/qemu-tests/harness
