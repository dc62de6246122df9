# bootloader/kiln-generation.mk — the target's `kiln-generation` tool, a
# static program for each architecture, built as initrd/initrd.mk builds
# the stage-1 init (same compilers, flags, aarch64 sysroot and rules for
# $(BUILD)/<arch>/%.o). Every system carries it in sw/bin (builder/system.c).
#
#   $(BUILD)/bootloader/kiln-generation-x86_64
#   $(BUILD)/bootloader/kiln-generation-aarch64

GENTOOL_SRC := bootloader/kiln-generation.c bootloader/grub.c \
               lib/generation.c lib/gen_root.c lib/store.c lib/storepath.c lib/hash.c lib/sha256-builtin.c lib/nar.c \
               lib/nar_ext4.c lib/verify.c \
               lib/gpt.c lib/guid.c lib/strbuf.c lib/fsutil.c \
               $(filter-out %_test.c,$(wildcard lib/ext4*.c))

GENTOOL_X86_64  := $(BUILD)/bootloader/kiln-generation-x86_64
GENTOOL_AARCH64 := $(BUILD)/bootloader/kiln-generation-aarch64

$(GENTOOL_X86_64): $(GENTOOL_SRC:%.c=$(BUILD)/x86_64/%.o)
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  LD $@";)$(CC) $(INIT_LDFLAGS) -o $@ $^ $(INIT_LDLIBS)

$(GENTOOL_AARCH64): $(GENTOOL_SRC:%.c=$(BUILD)/aarch64/%.o)
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  LD $@";)$(AARCH64_CC) $(INIT_LDFLAGS) $(AARCH64_LDFLAGS) -o $@ $^ $(INIT_LDLIBS)

gentools: $(GENTOOL_X86_64) $(GENTOOL_AARCH64)
.PHONY: gentools

EXTRA_TEST_DEPS  += $(GENTOOL_X86_64) $(GENTOOL_AARCH64)
EXTRA_IMAGE_DEPS += $(GENTOOL_X86_64) $(GENTOOL_AARCH64)
