package adminclient

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Role is a membership type with the official numbers.
type Role int

// Membership types (3, Manager, is retired).
const (
	RoleOwner  Role = 0
	RoleAdmin  Role = 1
	RoleUser   Role = 2
	RoleCustom Role = 4
)

// String names the role as the command line spells it.
func (r Role) String() string {
	switch r {
	case RoleOwner:
		return "owner"
	case RoleAdmin:
		return "admin"
	case RoleUser:
		return "user"
	case RoleCustom:
		return "custom"
	}
	return "type-" + strconv.Itoa(int(r))
}

// ParseRole reads owner, admin, user or custom.
func ParseRole(s string) (Role, error) {
	for _, r := range []Role{RoleOwner, RoleAdmin, RoleUser, RoleCustom} {
		if strings.EqualFold(s, r.String()) {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown member type %q: want user, admin, owner or custom", s)
}

// Status is a membership status with the official numbers.
type Status int

// Membership statuses.
const (
	StatusRevoked   Status = -1
	StatusInvited   Status = 0
	StatusAccepted  Status = 1
	StatusConfirmed Status = 2
	StatusStaged    Status = 3
)

// String names the status.
func (s Status) String() string {
	switch s {
	case StatusRevoked:
		return "revoked"
	case StatusInvited:
		return "invited"
	case StatusAccepted:
		return "accepted"
	case StatusConfirmed:
		return "confirmed"
	case StatusStaged:
		return "staged"
	}
	return "status-" + strconv.Itoa(int(s))
}

// Access is one grant on a collection. ID names the other side: the collection in a member's or a
// group's grants, the member or group in a collection's grants.
type Access struct {
	ID            string `json:"id"`
	ReadOnly      bool   `json:"readOnly"`
	HidePasswords bool   `json:"hidePasswords"`
	Manage        bool   `json:"manage"`
}

// ParseAccess reads ID[:ro][:hide][:manage], as the command line takes collection grants. Manage
// cannot be combined with ro or hide (the official server refuses that combination).
func ParseAccess(s string) (Access, error) {
	parts := strings.Split(s, ":")
	a := Access{ID: strings.TrimSpace(parts[0])}
	if a.ID == "" {
		return Access{}, fmt.Errorf("access %q: missing id", s)
	}
	for _, p := range parts[1:] {
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "ro", "readonly", "read-only":
			a.ReadOnly = true
		case "hide", "hide-passwords":
			a.HidePasswords = true
		case "manage":
			a.Manage = true
		default:
			return Access{}, fmt.Errorf("access %q: unknown flag %q (want ro, hide or manage)", s, p)
		}
	}
	if a.Manage && (a.ReadOnly || a.HidePasswords) {
		return Access{}, fmt.Errorf("access %q: manage cannot be combined with ro or hide", s)
	}
	return a, nil
}

// String spells a grant as ParseAccess reads it.
func (a Access) String() string {
	s := a.ID
	if a.ReadOnly {
		s += ":ro"
	}
	if a.HidePasswords {
		s += ":hide"
	}
	if a.Manage {
		s += ":manage"
	}
	return s
}

// Permissions are a custom role's rights (camelCase, as the server stores and sends them).
type Permissions struct {
	AccessEventLogs      bool `json:"accessEventLogs"`
	AccessImportExport   bool `json:"accessImportExport"`
	AccessReports        bool `json:"accessReports"`
	CreateNewCollections bool `json:"createNewCollections"`
	EditAnyCollection    bool `json:"editAnyCollection"`
	DeleteAnyCollection  bool `json:"deleteAnyCollection"`
	ManageGroups         bool `json:"manageGroups"`
	ManagePolicies       bool `json:"managePolicies"`
	ManageSso            bool `json:"manageSso"`
	ManageUsers          bool `json:"manageUsers"`
	ManageResetPassword  bool `json:"manageResetPassword"`
	ManageScim           bool `json:"manageScim"`
}

// PermissionNames are the custom-role rights by their official names.
var PermissionNames = []string{
	"accessEventLogs", "accessImportExport", "accessReports", "createNewCollections", "editAnyCollection",
	"deleteAnyCollection", "manageGroups", "managePolicies", "manageSso", "manageUsers",
	"manageResetPassword", "manageScim",
}

// ParsePermissions turns official permission names (any case) into Permissions.
func ParsePermissions(names []string) (*Permissions, error) {
	set := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		i := slices.IndexFunc(PermissionNames, func(k string) bool { return strings.EqualFold(k, n) })
		if i < 0 {
			return nil, fmt.Errorf("unknown permission %q (want one of %s)", n, strings.Join(PermissionNames, ", "))
		}
		set[PermissionNames[i]] = true
	}
	raw, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("permissions: %w", err)
	}
	var p Permissions
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("permissions: %w", err)
	}
	return &p, nil
}
