// Package packaging_test checks the installers' pieces. In `make test`:
// the android/arm64 build of shared code (android-check.sh), the Linux
// launcher's message when libGL is missing, the version numbers, the
// Debian dependencies worked out from a binary, the desktop entry and the
// NSIS script (when makensis is installed). With POS_PACKAGE_DIST set, by
// `make package-check`: the built artifacts themselves (TestPackage_*).
package packaging_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// here is this folder; the scripts live in it.
func here(t *testing.T) string {
	t.Helper()
	d, err := os.Getwd()
	require.NoError(t, err)
	return d
}

func repoRoot(t *testing.T) string { return filepath.Join(here(t), "..", "..") }

type result struct {
	stdout, stderr string
	code           int
}

// run runs a command with env added to the test's environment.
func run(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err, "running %s", name)
	}
	return result{out.String(), errb.String(), code}
}

// goTool is the go command: go test puts its own GOROOT/bin first on PATH.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	require.NoError(t, err)
	return p
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(body), mode))
}

// needTool skips when a tool `make deps` does not install is missing
// (makensis, dpkg-query): those are held by `make package-check`.
func needTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("%s not installed (make package installs it)", n)
		}
	}
}

// --- android/arm64 -----------------------------------------------------

// The real tree: app/ and hardware/ are the shared core every platform
// runs, so each of their packages must build for Android without the NDK.
func TestAndroidCheck_SharedCodeBuildsForAndroid(t *testing.T) {
	if testing.Short() {
		t.Skip("builds for android/arm64")
	}
	r := run(t, here(t), []string{"GO=" + goTool(t)}, "sh", "android-check.sh")
	require.Equal(t, 0, r.code, "android-check.sh failed:\n%s\n%s", r.stdout, r.stderr)
	require.Contains(t, r.stdout, "android-check: ok")

	list := run(t, repoRoot(t), nil, goTool(t), "list", "-tags", "migrated_fynedo,sqlite_fts5", "./app/...", "./hardware/...")
	require.Equal(t, 0, list.code, list.stderr)
	for _, p := range strings.Fields(list.stdout) {
		require.NotContains(t, r.stdout, "\n  "+p+"  (needs ", "%s is shared code and must build for Android without cgo", p)
	}
	// The rule is not vacuous: SQLite keeps localdb out.
	require.Contains(t, r.stdout, "\n  cashier/localdb  (needs github.com/mattn/go-sqlite3)")
}

// The rule on a small module made for the test: a cgo package and its
// importers are left out, a package whose tests need cgo is built but not
// vetted, and a compile error that only android sees fails the check.
func TestAndroidCheck_Rule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds for android/arm64")
	}
	mod := t.TempDir()
	writeFile(t, filepath.Join(mod, "go.mod"), "module example.com/m\n\ngo 1.22\n", 0o644)
	writeFile(t, filepath.Join(mod, "pure", "pure.go"), "package pure\n\nfunc Two() int { return 2 }\n", 0o644)
	writeFile(t, filepath.Join(mod, "withc", "withc.go"), "package withc\n\n// int three(void) { return 3; }\nimport \"C\"\n\nfunc Three() int { return int(C.three()) }\n", 0o644)
	writeFile(t, filepath.Join(mod, "usesc", "usesc.go"), "package usesc\n\nimport \"example.com/m/withc\"\n\nfunc Four() int { return withc.Three() + 1 }\n", 0o644)
	writeFile(t, filepath.Join(mod, "testc", "testc.go"), "package testc\n\nfunc Five() int { return 5 }\n", 0o644)
	writeFile(t, filepath.Join(mod, "testc", "testc_test.go"), "package testc_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/m/withc\"\n)\n\nfunc TestX(t *testing.T) { _ = withc.Three() }\n", 0o644)
	env := []string{"GO=" + goTool(t), "ANDROID_CHECK_ROOT=" + mod, "TAGS=", "GOFLAGS=", "GOWORK=off"}
	script := filepath.Join(here(t), "android-check.sh")

	r := run(t, mod, env, "sh", script)
	require.Equal(t, 0, r.code, "%s\n%s", r.stdout, r.stderr)
	require.Contains(t, r.stdout, "2 packages built, 1 vetted")
	require.Contains(t, r.stdout, "\n  example.com/m/withc  (needs example.com/m/withc)")
	require.Contains(t, r.stdout, "\n  example.com/m/usesc  (needs example.com/m/withc)")
	require.Contains(t, r.stdout, "\n  example.com/m/testc  (its tests need example.com/m/withc)")

	// Desktop-only code that breaks the android build is caught.
	writeFile(t, filepath.Join(mod, "pure", "pure_android.go"), "//go:build android\n\npackage pure\n\nvar _ = undefinedOnAndroid\n", 0o644)
	r = run(t, mod, env, "sh", script)
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.stderr, "undefinedOnAndroid")
	require.NotContains(t, r.stdout, "android-check: ok")
}

// --- the Linux launcher ------------------------------------------------

const libs = "libGL.so.1=libgl1 libX11.so.6=libx11-6"

const (
	gl64   = "\tlibGL.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libGL.so.1\n"
	gl32   = "\tlibGL.so.1 (libc6) => /lib/i386-linux-gnu/libGL.so.1\n"
	x11_64 = "\tlibX11.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libX11.so.6\n"
	egl64  = "\tlibEGL.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libEGL.so.1\n"
)

// installLauncher lays out root/usr/bin/pos (the launcher, LIBS filled in)
// and root/usr/lib/pos/pos (a stand-in that prints its arguments and exits
// 7), and a bin folder with a fake ldconfig printing $FAKE_LDCONFIG.
func installLauncher(t *testing.T, launcher string) (root, fakeBin string) {
	t.Helper()
	root = t.TempDir()
	writeFile(t, filepath.Join(root, "usr", "bin", "pos"), launcher, 0o755)
	writeFile(t, filepath.Join(root, "usr", "lib", "pos", "pos"), "#!/bin/sh\necho started\nfor a; do echo \"arg:$a\"; done\nexit 7\n", 0o755)
	fakeBin = t.TempDir()
	writeFile(t, filepath.Join(fakeBin, "ldconfig"), "#!/bin/sh\n[ \"$1\" = -p ] || exit 9\nprintf '%s' \"$FAKE_LDCONFIG\"\nexit ${FAKE_LDCONFIG_EXIT:-0}\n", 0o755)
	return root, fakeBin
}

func launcherTemplate(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(here(t), "deb", "pos-launcher.sh"))
	require.NoError(t, err)
	require.Contains(t, string(b), "@LIBS@")
	return strings.Replace(string(b), "@LIBS@", libs, 1)
}

func runLauncher(t *testing.T, path, fakeBin string, env ...string) result {
	t.Helper()
	cmd := exec.Command(path, "sale", "two words", "")
	cmd.Env = append([]string{"PATH=" + fakeBin + ":/usr/bin:/bin", "LANG=C.UTF-8"}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{out.String(), errb.String(), code}
}

func TestLauncher_StartsTheProgramWhenTheLibrariesAreThere(t *testing.T) {
	root, fake := installLauncher(t, launcherTemplate(t))
	r := runLauncher(t, filepath.Join(root, "usr", "bin", "pos"), fake, "FAKE_LDCONFIG=1 libs found in cache\n"+egl64+gl64+x11_64)
	require.Equal(t, 7, r.code, "the program's exit code passes through: %s", r.stderr)
	require.Equal(t, "started\narg:sale\narg:two words\narg:\n", r.stdout, "arguments pass through unchanged")
	require.Empty(t, r.stderr)
}

func TestLauncher_SaysWhichPackageProvidesAMissingLibGL(t *testing.T) {
	root, fake := installLauncher(t, launcherTemplate(t))
	for name, cache := range map[string]string{
		"no libGL":           egl64 + x11_64,
		"only a 32-bit one":  gl32 + x11_64,
		"only a similar one": "\tlibGL.so.1.7.0 (libc6,x86-64) => /x/libGL.so.1.7.0\n" + x11_64,
	} {
		t.Run(name, func(t *testing.T) {
			r := runLauncher(t, filepath.Join(root, "usr", "bin", "pos"), fake, "FAKE_LDCONFIG="+cache)
			require.Equal(t, 1, r.code)
			require.Empty(t, r.stdout, "the program must not start")
			require.Contains(t, r.stderr, "智能收银台无法启动，找不到所需的系统库：libGL.so.1\n")
			require.Contains(t, r.stderr, "请安装后再试：sudo apt-get install libgl1\n")
			require.Contains(t, r.stderr, "POS cannot start, required system libraries not found: libGL.so.1\n")
			require.Contains(t, r.stderr, "Install them, then try again: sudo apt-get install libgl1\n")
			require.Contains(t, r.stderr, "OpenGL")
			require.NotContains(t, r.stderr, "libX11")
		})
	}
}

func TestLauncher_ListsEveryMissingLibrary(t *testing.T) {
	root, fake := installLauncher(t, launcherTemplate(t))
	r := runLauncher(t, filepath.Join(root, "usr", "bin", "pos"), fake, "FAKE_LDCONFIG="+egl64)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "not found: libGL.so.1 libX11.so.6\n")
	require.Contains(t, r.stderr, "sudo apt-get install libgl1 libx11-6\n")
}

func TestLauncher_FindsALibraryOnLD_LIBRARY_PATH(t *testing.T) {
	root, fake := installLauncher(t, launcherTemplate(t))
	lib := t.TempDir()
	writeFile(t, filepath.Join(lib, "libGL.so.1"), "", 0o644)
	r := runLauncher(t, filepath.Join(root, "usr", "bin", "pos"), fake, "FAKE_LDCONFIG="+x11_64, "LD_LIBRARY_PATH=/nowhere::"+lib)
	require.Equal(t, 7, r.code, r.stderr)
}

// Where ldconfig cannot list the cache the check stands aside: a wrong
// refusal would be worse than the loader's own message.
func TestLauncher_StartsWhenLdconfigCannotTell(t *testing.T) {
	root, fake := installLauncher(t, launcherTemplate(t))
	r := runLauncher(t, filepath.Join(root, "usr", "bin", "pos"), fake, "FAKE_LDCONFIG=", "FAKE_LDCONFIG_EXIT=1")
	require.Equal(t, 7, r.code, r.stderr)
}

// A link to the launcher (e.g. /usr/local/bin/pos) still finds the program.
func TestLauncher_ThroughASymlink(t *testing.T) {
	root, fake := installLauncher(t, launcherTemplate(t))
	link := filepath.Join(t.TempDir(), "pos")
	require.NoError(t, os.Symlink(filepath.Join(root, "usr", "bin", "pos"), link))
	r := runLauncher(t, link, fake, "FAKE_LDCONFIG="+gl64+x11_64)
	require.Equal(t, 7, r.code, r.stderr)
}

// --- versions ----------------------------------------------------------

func parseEnv(t *testing.T, s string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, "not an assignment: %q", line)
		m[k] = strings.Trim(v, "'")
	}
	return m
}

// Debian policy 5.6.12: a version starts with a digit and holds only
// alphanumerics and . + ~ (and - only with a revision, which we do not use).
var debVersion = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)

func TestVersion_FromFyneAppAndGit(t *testing.T) {
	needTool(t, "git")
	repo := t.TempDir()
	script := filepath.Join(here(t), "version.sh")
	writeFile(t, filepath.Join(repo, "FyneApp.toml"), "[Details]\nIcon = \"icon.png\"\nVersion = \"1.2.3\"\nBuild = 1\n", 0o644)
	version := func() map[string]string {
		r := run(t, repo, nil, "sh", script, repo)
		require.Equal(t, 0, r.code, r.stderr)
		return parseEnv(t, r.stdout)
	}
	gitEnv := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null"}
	git := func(args ...string) string {
		r := run(t, repo, gitEnv, "git", args...)
		require.Equal(t, 0, r.code, r.stderr)
		return strings.TrimSpace(r.stdout)
	}

	require.Equal(t, map[string]string{"APPVER": "1.2.3", "BUILD": "1", "VERSION": "1.2.3", "WINVER": "1.2.3.1"}, version(), "outside git")

	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	sha := git("rev-parse", "--short", "HEAD")
	v := version()
	require.Equal(t, "1.2.3+git1.g"+sha, v["VERSION"])
	require.Equal(t, "1.2.3.1", v["WINVER"])

	git("tag", "v1.2.3")
	require.Equal(t, "1.2.3", version()["VERSION"], "a clean checkout of the release tag")

	writeFile(t, filepath.Join(repo, "FyneApp.toml"), "[Details]\nVersion = \"1.2.3\"\nBuild = 2\n", 0o644)
	require.Equal(t, "1.2.3+git1.g"+sha+".dirty", version()["VERSION"], "the tag with changed files is not the release")

	git("commit", "-q", "-am", "two")
	v = version()
	require.Equal(t, "2", v["BUILD"], "every commit counts")
	require.Equal(t, "1.2.3.2", v["WINVER"])
	require.Regexp(t, debVersion, v["VERSION"])

	writeFile(t, filepath.Join(repo, "FyneApp.toml"), "[Details]\nVersion = \"4\"\n", 0o644)
	require.Equal(t, "4.0.0", version()["APPVER"])

	for _, bad := range []string{"1.2.x", "", "1..2", "v1.2.3"} {
		writeFile(t, filepath.Join(repo, "FyneApp.toml"), "[Details]\nVersion = \""+bad+"\"\n", 0o644)
		r := run(t, repo, nil, "sh", script, repo)
		require.NotEqual(t, 0, r.code, "Version %q", bad)
		require.Contains(t, r.stderr, "needs Version = \"x.y.z\"", "Version %q", bad)
	}
}

// The project's own numbers: the release number FyneApp.toml holds, and a
// version dpkg accepts.
func TestVersion_OfThisCheckout(t *testing.T) {
	r := run(t, repoRoot(t), nil, "sh", filepath.Join(here(t), "version.sh"))
	require.Equal(t, 0, r.code, r.stderr)
	v := parseEnv(t, r.stdout)
	toml, err := os.ReadFile(filepath.Join(repoRoot(t), "FyneApp.toml"))
	require.NoError(t, err)
	require.Contains(t, string(toml), fmt.Sprintf("Version = %q", v["APPVER"]))
	require.Regexp(t, debVersion, v["VERSION"])
	require.Regexp(t, `^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$`, v["WINVER"])
}

// --- Debian dependencies -----------------------------------------------

func TestDepends_FromTheBinary(t *testing.T) {
	needTool(t, "objdump", "dpkg-query")
	ls, err := exec.LookPath("ls")
	require.NoError(t, err)
	r := run(t, here(t), nil, "sh", "depends.sh", ls)
	require.Equal(t, 0, r.code, r.stderr)
	v := parseEnv(t, r.stdout)
	require.Regexp(t, `(^|, )libc6 \(>= 2\.[0-9]+\)(,|$)`, v["DEPENDS"], "libc6 with the newest GLIBC_ symbol version the binary uses")
	require.NotContains(t, v["LIBS"], "libc.so", "the launcher does not check libc: without it no shell runs")
	for _, pair := range strings.Fields(v["LIBS"]) {
		so, pkg, ok := strings.Cut(pair, "=")
		require.True(t, ok && strings.HasPrefix(so, "lib") && pkg != "", "pair %q", pair)
		require.Contains(t, v["DEPENDS"], pkg)
	}
}

func TestDepends_BadInput(t *testing.T) {
	needTool(t, "objdump", "dpkg-query")
	r := run(t, here(t), nil, "sh", "depends.sh", "version.sh")
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.stderr, "version.sh is not an ELF binary")

	r = run(t, here(t), nil, "sh", "depends.sh", "no-such-file")
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.stderr, "no-such-file: no such file")

	// The go command is linked statically: nothing to depend on is an
	// error, not an empty Depends line.
	r = run(t, here(t), nil, "sh", "depends.sh", goTool(t))
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.stderr, "links no shared library")
}

// --- the desktop entry -------------------------------------------------

var han = regexp.MustCompile(`\p{Han}`)

func TestDesktopEntry(t *testing.T) {
	path := filepath.Join(here(t), "deb", "cn.poscashier.pos.desktop")
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	keys := map[string]string{}
	sc := bufio.NewScanner(f)
	require.True(t, sc.Scan())
	require.Equal(t, "[Desktop Entry]", sc.Text())
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		require.True(t, ok, "line %q", sc.Text())
		_, dup := keys[k]
		require.False(t, dup, "key %s twice", k)
		keys[k] = v
	}
	require.Equal(t, "Application", keys["Type"])
	require.Equal(t, "pos", keys["Exec"], "the command the package puts on PATH")
	require.Equal(t, "false", keys["Terminal"])
	require.Equal(t, "智能收银台", keys["Name"], "Chinese first")
	for _, k := range []string{"Name[en]", "GenericName[en]", "Comment[en]"} {
		require.NotEmpty(t, keys[k], k)
		require.False(t, han.MatchString(keys[k]), "%s must be English: %q", k, keys[k])
	}
	require.True(t, strings.HasSuffix(keys["Categories"], ";"))

	// The icon name is the file package.sh installs.
	script, err := os.ReadFile(filepath.Join(here(t), "package.sh"))
	require.NoError(t, err)
	require.Contains(t, string(script), "hicolor/256x256/apps/"+keys["Icon"]+".png")

	if _, err := exec.LookPath("desktop-file-validate"); err == nil {
		r := run(t, here(t), nil, "desktop-file-validate", path)
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
		require.Empty(t, strings.TrimSpace(r.stdout+r.stderr))
	}
}

// --- the Windows installer script --------------------------------------

// makensis with warnings as errors, on a stand-in for pos.exe: the script
// compiles into a 64-bit installer. package.sh compiles it again with the
// real program.
func TestNSIS_CompilesWithoutWarnings(t *testing.T) {
	needTool(t, "makensis", "convert")
	tmp := t.TempDir()
	exe := filepath.Join(tmp, "pos.exe")
	writeFile(t, exe, strings.Repeat("stand-in for pos.exe\n", 100), 0o644)
	ico := filepath.Join(tmp, "pos.ico")
	r := run(t, here(t), nil, "convert", filepath.Join(repoRoot(t), "assets", "icons", "icon.png"), "-define", "icon:auto-resize=256,48,32,16", ico)
	require.Equal(t, 0, r.code, r.stderr)
	out := filepath.Join(tmp, "poscashier_0.1.0+git1.gabc_windows_amd64_setup.exe")
	args := []string{"-WX", "-INPUTCHARSET", "UTF8", "-V2",
		"-DVERSION=0.1.0+git1.gabc", "-DWINVER=0.1.0.1", "-DEXE=" + exe, "-DICON=" + ico,
		"-DFONTLICENSE=" + filepath.Join(repoRoot(t), "assets", "fonts", "LICENSE-NotoSansCJK.txt"),
		"-DOUTFILE=" + out, filepath.Join("windows", "pos.nsi")}
	r = run(t, here(t), nil, "makensis", args...)
	require.Equal(t, 0, r.code, "makensis -WX:\n%s\n%s", r.stdout, r.stderr)
	if _, err := exec.LookPath("file"); err == nil {
		f := run(t, tmp, nil, "file", "-b", out)
		require.Contains(t, f.stdout, "PE32+ executable (GUI) x86-64")
	}

	// Forgetting a definition stops the build with the reason.
	r = run(t, here(t), nil, "makensis", append([]string{"-WX", "-INPUTCHARSET", "UTF8", "-V2", "-DVERSION=1"}, filepath.Join("windows", "pos.nsi"))...)
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.stdout+r.stderr, "package.sh passes VERSION, WINVER")
}

// --- the built artifacts (make package-check) --------------------------

// dist returns the folder make package wrote and what it built, or skips:
// the artifacts take minutes to build, so only make package-check runs
// these.
func dist(t *testing.T) (string, map[string]string) {
	t.Helper()
	d := os.Getenv("POS_PACKAGE_DIST")
	if d == "" {
		t.Skip("POS_PACKAGE_DIST not set: make package-check builds the packages and runs this")
	}
	b, err := os.ReadFile(filepath.Join(d, "versions.env"))
	require.NoError(t, err, "make package writes versions.env")
	return d, parseEnv(t, string(b))
}

func debPath(t *testing.T, d string, v map[string]string) string {
	p := filepath.Join(d, v["PACKAGE"]+"_"+v["VERSION"]+"_amd64.deb")
	require.FileExists(t, p)
	return p
}

func TestPackage_DebContents(t *testing.T) {
	d, v := dist(t)
	deb := debPath(t, d, v)

	r := run(t, d, nil, "dpkg-deb", "-c", deb)
	require.Equal(t, 0, r.code, r.stderr)
	files := map[string]string{} // path → mode and owner
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f := strings.Fields(line)
		require.GreaterOrEqual(t, len(f), 6, line)
		require.Equal(t, "root/root", f[1], "owner of %s", f[5])
		if !strings.HasPrefix(f[0], "d") {
			files[f[5]] = f[0]
		}
	}
	require.Equal(t, map[string]string{
		"./usr/bin/pos":     "-rwxr-xr-x",
		"./usr/lib/pos/pos": "-rwxr-xr-x",
		"./usr/share/applications/cn.poscashier.pos.desktop":           "-rw-r--r--",
		"./usr/share/icons/hicolor/256x256/apps/cn.poscashier.pos.png": "-rw-r--r--",
		"./usr/share/doc/" + v["PACKAGE"] + "/copyright":               "-rw-r--r--",
	}, files)

	fields := run(t, d, nil, "dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends", "Recommends")
	require.Equal(t, 0, fields.code, fields.stderr)
	f := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(fields.stdout), "\n") {
		k, val, _ := strings.Cut(line, ": ")
		f[k] = val
	}
	require.Equal(t, v["PACKAGE"], f["Package"])
	require.Equal(t, v["VERSION"], f["Version"])
	require.Equal(t, "amd64", f["Architecture"])
	for _, dep := range []string{"libgl1", "libx11-6"} {
		require.Regexp(t, `(^|, )`+dep+`(,|$)`, f["Depends"])
	}
	require.Regexp(t, `(^|, )libc6 \(>= 2\.[0-9]+\)`, f["Depends"])

	// No maintainer scripts: installing adds nothing the user did not ask for.
	ctrl := run(t, d, nil, "sh", "-c", `dpkg-deb --ctrl-tarfile "$1" | tar -t`, "sh", deb)
	require.Equal(t, 0, ctrl.code, ctrl.stderr)
	require.ElementsMatch(t, []string{"./", "./control", "./md5sums"}, strings.Fields(ctrl.stdout))
}

// installDeb installs the .deb with dpkg into an empty root of its own
// (its own status database; the dependencies are this machine's).
func installDeb(t *testing.T, root, deb string) {
	t.Helper()
	r := run(t, root, nil, "dpkg", "--root="+root, "--force-not-root", "--force-depends", "--log=/dev/null", "-i", deb)
	require.Equal(t, 0, r.code, "dpkg -i:\n%s\n%s", r.stdout, r.stderr)
}

func newDpkgRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"info", "updates", "triggers"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, "var", "lib", "dpkg", d), 0o755))
	}
	writeFile(t, filepath.Join(root, "var", "lib", "dpkg", "status"), "", 0o644)
	return root
}

// The .deb installed with dpkg into a clean root, its `pos` started on a
// virtual display with an empty data folder: the login window appears
// (screenshot saved in dist/), and removing the package leaves the data.
func TestPackage_DebInstallsOpensAndRemoves(t *testing.T) {
	d, v := dist(t)
	needTool(t, "Xvfb", "import", "dpkg")
	deb := debPath(t, d, v)
	root := newDpkgRoot(t)
	installDeb(t, root, deb)
	pos := filepath.Join(root, "usr", "bin", "pos")
	require.FileExists(t, pos)

	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local", "share")}
	r := run(t, home, env, pos, "version")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "pos "+v["VERSION"]+"\n", r.stdout)

	display := startXvfb(t)
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(pos, "--data-dir", data)
	cmd.Env = append(os.Environ(), append(env, "DISPLAY="+display)...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan struct{}) // closed when pos has exited
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	waitFor(t, 90*time.Second, "the login window", exited, &stderr, func() bool {
		return strings.Contains(stderr.String(), "startup: login window shown")
	})
	shot := filepath.Join(d, "package-check-login.png")
	var lit, colours int
	waitFor(t, 30*time.Second, "a drawn window on the screen", exited, &stderr, func() bool {
		lit, colours = screenshot(t, display, shot)
		return lit > 20 && colours >= 16
	})
	t.Logf("screenshot %s: %d%% of the screen drawn, %d colours", shot, lit, colours)
	require.FileExists(t, filepath.Join(data, "pos.db"), "the installed program made its data folder")

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("pos did not stop on SIGINT\n%s", stderr.String())
	}

	r = run(t, root, nil, "dpkg", "--root="+root, "--force-not-root", "--log=/dev/null", "-r", v["PACKAGE"])
	require.Equal(t, 0, r.code, "dpkg -r:\n%s\n%s", r.stdout, r.stderr)
	require.NoFileExists(t, pos)
	require.NoFileExists(t, filepath.Join(root, "usr", "lib", "pos", "pos"))
	require.FileExists(t, filepath.Join(data, "pos.db"), "removing the package keeps the data")
}

// An earlier version installed first, then this one over it: dpkg upgrades
// in place and the launcher and program are the new ones.
func TestPackage_DebUpgradesAnEarlierVersion(t *testing.T) {
	d, v := dist(t)
	needTool(t, "dpkg")
	deb := debPath(t, d, v)
	tmp := t.TempDir()
	tree := filepath.Join(tmp, "tree")
	r := run(t, tmp, nil, "dpkg-deb", "-R", deb, tree)
	require.Equal(t, 0, r.code, r.stderr)
	control := filepath.Join(tree, "DEBIAN", "control")
	b, err := os.ReadFile(control)
	require.NoError(t, err)
	older := strings.Replace(string(b), "Version: "+v["VERSION"]+"\n", "Version: 0.0.1\n", 1)
	require.NotEqual(t, string(b), older)
	writeFile(t, control, older, 0o644)
	writeFile(t, filepath.Join(tree, "usr", "lib", "pos", "pos"), "#!/bin/sh\necho pos 0.0.1\n", 0o755)
	old := filepath.Join(tmp, "old.deb")
	r = run(t, tmp, nil, "dpkg-deb", "--root-owner-group", "-Znone", "--build", tree, old)
	require.Equal(t, 0, r.code, r.stderr)

	root := newDpkgRoot(t)
	installDeb(t, root, old)
	r = run(t, root, nil, filepath.Join(root, "usr", "bin", "pos"), "version")
	require.Equal(t, "pos 0.0.1\n", r.stdout, r.stderr)

	installDeb(t, root, deb)
	r = run(t, root, []string{"HOME=" + tmp}, filepath.Join(root, "usr", "bin", "pos"), "version")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "pos "+v["VERSION"]+"\n", r.stdout)
	status, err := os.ReadFile(filepath.Join(root, "var", "lib", "dpkg", "status"))
	require.NoError(t, err)
	require.Contains(t, string(status), "Version: "+v["VERSION"]+"\n")
}

// The launcher as installed (its library list filled in from the real
// binary) on a machine where ldconfig knows no libGL.
func TestPackage_DebLauncherSaysLibGLIsMissing(t *testing.T) {
	d, v := dist(t)
	needTool(t, "dpkg")
	root := newDpkgRoot(t)
	installDeb(t, root, debPath(t, d, v))
	launcher, err := os.ReadFile(filepath.Join(root, "usr", "bin", "pos"))
	require.NoError(t, err)
	require.NotContains(t, string(launcher), "@LIBS@")
	require.Contains(t, string(launcher), "libGL.so.1=libgl1")

	fake := t.TempDir()
	writeFile(t, filepath.Join(fake, "ldconfig"), "#!/bin/sh\nprintf '\\tlibX11.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libX11.so.6\\n'\n", 0o755)
	r := runLauncher(t, filepath.Join(root, "usr", "bin", "pos"), fake)
	require.Equal(t, 1, r.code, r.stdout)
	require.Contains(t, r.stderr, "找不到所需的系统库：libGL.so.1")
	require.Contains(t, r.stderr, "sudo apt-get install libgl1")
	require.NotContains(t, r.stderr, "error while loading shared libraries")
}

func TestPackage_TarXz(t *testing.T) {
	d, v := dist(t)
	tarball := filepath.Join(d, "pos_"+v["VERSION"]+"_linux_amd64.tar.xz")
	r := run(t, d, nil, "tar", "-tJf", tarball)
	require.Equal(t, 0, r.code, r.stderr)
	list := strings.Fields(r.stdout)
	require.Contains(t, list, "pos/Makefile")
	prefix := "pos/usr/local/"
	if !strings.Contains(r.stdout, prefix) {
		prefix = "pos/usr/" // fyne package drops local/ on a machine without /usr/local
	}
	for _, f := range []string{"bin/pos", "share/applications/pos.desktop", "share/pixmaps/pos.png"} {
		require.Contains(t, list, prefix+f)
	}
}

func TestPackage_WindowsFiles(t *testing.T) {
	d, v := dist(t)
	needTool(t, "file", "strings")
	exe := filepath.Join(d, "pos.exe")
	setup := filepath.Join(d, v["PACKAGE"]+"_"+v["VERSION"]+"_windows_amd64_setup.exe")
	for _, f := range []string{exe, setup} {
		r := run(t, d, nil, "file", "-b", f)
		require.Equal(t, 0, r.code, r.stderr)
		require.Contains(t, r.stdout, "PE32+ executable (GUI) x86-64", f)
	}
	// The version resource fyne package writes: Windows shows it in the
	// file's properties.
	r := run(t, d, nil, "strings", "-el", exe)
	require.Contains(t, r.stdout, v["WINVER"])
	r = run(t, d, nil, "strings", "-el", setup)
	require.Contains(t, r.stdout, v["VERSION"])
}

// Packaging works on a copy: FyneApp.toml keeps its build number and none
// of fyne package's working files appear in the checkout.
func TestPackage_LeftTheCheckoutAlone(t *testing.T) {
	dist(t)
	root := repoRoot(t)
	r := run(t, root, nil, "git", "diff", "--quiet", "HEAD", "--", "FyneApp.toml")
	require.Equal(t, 0, r.code, "FyneApp.toml differs from HEAD")
	for _, pattern := range []string{"tmp-pkg", "fyne_metadata_init.go", "*.syso", "*.manifest", "*.tar.xz", "FyneApp.ico", "智能收银台.exe"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		require.NoError(t, err)
		require.Empty(t, m, pattern)
	}
}

// --- package.sh's refusals ---------------------------------------------

func TestPackageScript_BadInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	r := run(t, here(t), nil, "sh", "package.sh", out, "ios")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `say all, linux, windows or android, not "ios"`)

	for _, ndk := range []string{"", "/no/such/ndk"} {
		r = run(t, here(t), []string{"ANDROID_NDK_HOME=" + ndk, "ANDROID_HOME="}, "sh", "package.sh", out, "android")
		require.Equal(t, 1, r.code, "ANDROID_NDK_HOME=%q", ndk)
		require.Contains(t, r.stderr, "the APK needs the Android NDK: set ANDROID_NDK_HOME")
	}
	require.NoDirExists(t, out, "nothing is made before the input is checked")
}
