package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/spf13/pflag"
)

// Setting describes one configuration field, for flags, --help and the README table.
type Setting struct {
	Env     string
	Flag    string // empty for a secret: secrets have no flag (see Bind)
	Default string
	Help    string
	Secret  bool
	Type    string // what --help shows of the value: string, int, bool or duration
	field   string
}

// Settings lists the settings of a configuration struct such as *Server, in declaration order.
func Settings(cfg any) []Setting {
	t := reflect.TypeOf(cfg)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []Setting
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if name == "" {
			continue
		}
		out = append(out, Setting{
			Env: name, Flag: f.Tag.Get("flag"), Default: f.Tag.Get("envDefault"), Help: f.Tag.Get("help"),
			Secret: f.Tag.Get("secret") == "true", Type: typeName(f.Type), field: f.Name,
		})
	}
	return out
}

// typeName is the name --help gives a field's values.
func typeName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "duration"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "int"
	}
	return "string"
}

// Bind declares one flag per setting of cfg on fs. The flags carry no defaults of their own: a flag
// that is not given leaves the environment (or the built-in default) in charge.
//
// A secret has no flag, only its variable and the _FILE variant: a command line is visible to every
// user of the machine (ps, /proc/PID/cmdline) and stays in shell histories. [SecretsHelp] lists the
// secrets for a command's --help instead.
func Bind(fs *pflag.FlagSet, cfg any) { bind(fs, Settings(cfg)) }

// BindOnly is Bind for the settings named by their variables: a command shows and takes only the
// settings it uses. It panics on a name that is not a setting of cfg (a programming error).
func BindOnly(fs *pflag.FlagSet, cfg any, envs ...string) { bind(fs, pick(cfg, envs)) }

func pick(cfg any, envs []string) []Setting {
	all := Settings(cfg)
	var out []Setting
	for _, env := range envs {
		i := slices.IndexFunc(all, func(s Setting) bool { return s.Env == env })
		if i < 0 {
			panic("config: no setting " + env)
		}
		out = append(out, all[i])
	}
	return out
}

func bind(fs *pflag.FlagSet, settings []Setting) {
	for _, s := range settings {
		if s.Secret || s.Flag == "" {
			continue
		}
		help := s.Help + " [$" + s.Env + "]"
		if s.Default != "" {
			help += " (default " + s.Default + ")"
		}
		fs.Var(&flagValue{typ: s.Type}, s.Flag, help)
		if s.Type == "bool" {
			fs.Lookup(s.Flag).NoOptDefVal = "true"
		}
	}
}

// flagValue keeps a flag's text until Load hands it to caarlos0/env, which parses it as the
// field's type; typ is only what --help shows.
type flagValue struct{ text, typ string }

func (v *flagValue) String() string     { return v.text }
func (v *flagValue) Set(s string) error { v.text = s; return nil }
func (v *flagValue) Type() string       { return v.typ }

// SecretsHelp describes, for a command's --help, the secrets among the settings named (all of
// cfg's when none are): they are read from their variable or its _FILE variant only.
func SecretsHelp(cfg any, envs ...string) string {
	settings := Settings(cfg)
	if len(envs) > 0 {
		settings = pick(cfg, envs)
	}
	var b strings.Builder
	for _, s := range settings {
		if !s.Secret {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("Secrets have no flag (a command line is visible to other users of the machine): set\n" +
				"the variable, or its _FILE variant to the path of a file holding the value.\n")
		}
		fmt.Fprintf(&b, "  $%s (or $%s_FILE)\n      %s\n", s.Env, s.Env, s.Help)
	}
	return b.String()
}

// Load fills cfg from the process environment, secret files and the flags in fs that were set.
// prefix names the variable family whose unknown members are refused (e.g. "CASTELLAN_").
func Load(cfg any, fs *pflag.FlagSet, environ []string, prefix string) error {
	settings := Settings(cfg)
	vars, err := environment(settings, environ, prefix)
	if err != nil {
		return err
	}
	fromFlag := map[string]bool{}
	if fs != nil {
		for _, s := range settings {
			if s.Flag == "" || s.Secret {
				continue
			}
			if f := fs.Lookup(s.Flag); f != nil && f.Changed {
				vars[s.Env] = f.Value.String()
				fromFlag[s.Env] = true
			}
		}
	}
	if err := env.ParseWithOptions(cfg, env.Options{Environment: vars}); err != nil {
		return translate(err, settings, fromFlag)
	}
	return nil
}

// environment builds the variable map: known variables, with secrets read from their _FILE variants.
//
// A secret that is set but empty, directly or through an empty file, is refused rather than taken
// as unset: an unexpanded ${DATABASE_URL} in a compose file, or a secret file not yet written, would
// otherwise silently start castellan on its defaults (for DATABASE_URL, a fresh SQLite database).
// Other settings keep caarlos0/env's reading of an empty variable as unset.
func environment(settings []Setting, environ []string, prefix string) (map[string]string, error) {
	known := map[string]bool{}
	secrets := map[string]bool{}
	for _, s := range settings {
		known[s.Env] = true
		if s.Secret {
			known[s.Env+"_FILE"] = true
			secrets[s.Env] = true
		}
	}
	vars := map[string]string{}
	var unknown []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case known[k]:
			vars[k] = v
		case prefix != "" && strings.HasPrefix(k, prefix) && !allowedForeign(k):
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &Error{Var: unknown[0], Reason: "unknown setting (see castellan serve --help)"}
	}
	for name := range secrets {
		path, ok := vars[name+"_FILE"]
		if !ok {
			continue
		}
		if _, both := vars[name]; both {
			return nil, &Error{Var: name + "_FILE",
				Reason: "set either " + name + " or " + name + "_FILE, not both"}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, &Error{Var: name + "_FILE", Reason: "cannot read the file: " + pathErr(err)}
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return nil, &Error{Var: name + "_FILE", Reason: "the file is empty"}
		}
		vars[name] = v
		delete(vars, name+"_FILE")
	}
	for name := range secrets {
		if v, set := vars[name]; set && v == "" {
			return nil, &Error{Var: name, Reason: "is set but empty; unset it to use the default"}
		}
	}
	return vars, nil
}

// allowedForeign lists CASTELLAN_ variables that belong to tooling rather than to the server.
func allowedForeign(k string) bool {
	return strings.HasPrefix(k, "CASTELLAN_TEST") || strings.HasPrefix(k, "CASTELLAN_TOOLS") ||
		strings.HasPrefix(k, "CASTELLAN_ADMIN_") || strings.HasPrefix(k, "CASTELLAN_ACCOUNT_")
}

// translate turns caarlos0/env errors, which name struct fields, into errors naming the variable.
// The underlying parse error quotes the offending value, so for secrets it is dropped.
// A value given by flag is reported under the flag's name.
func translate(err error, settings []Setting, fromFlag map[string]bool) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) || len(agg.Errors) == 0 {
		return fmt.Errorf("configuration: %w", err)
	}
	var pe env.ParseError
	if errors.As(agg.Errors[0], &pe) {
		for _, s := range settings {
			if s.field == pe.Name {
				name := s.Env
				if fromFlag[s.Env] {
					name = "--" + s.Flag
				}
				if s.Secret {
					return &Error{Var: name, Reason: "invalid value"}
				}
				return &Error{Var: name, Reason: "invalid value: " + pe.Err.Error()}
			}
		}
	}
	return fmt.Errorf("configuration: %w", agg.Errors[0])
}

func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
