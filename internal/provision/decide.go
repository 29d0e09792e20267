package provision

// Decide applies the provisioning rules (doc.go) to one SSO sign-in. It is a pure function: it
// reads only its input and the caller performs the writes the decision names, in one transaction.
func Decide(in Input) Decision {
	if r := orgGate(in.Org); r != "" {
		return refuse(r, "")
	}
	if in.Identity.ExternalID == "" {
		return refuse(ReasonExternalIDMissing, "")
	}
	if in.LinkByExternalID != nil {
		return decideLinked(in)
	}
	id := in.Identity
	switch {
	case id.Email == "":
		return refuse(ReasonEmailMissing, "")
	case !id.EmailVerified:
		// Checked before any account or membership is looked at, so that an unverified address
		// cannot even learn whether an account or invitation exists for it.
		return refuse(ReasonEmailNotVerified, "")
	case in.UserByEmail != nil:
		return decideExistingUser(in, *in.UserByEmail)
	}
	return decideNewUser(in)
}

func orgGate(o Org) Reason {
	switch {
	case o.ID == "":
		return ReasonInconsistentInput
	case !o.Enabled:
		return ReasonOrgDisabled
	case !o.SSOEnabled:
		return ReasonSSODisabled
	}
	return ""
}

// decideLinked handles an external ID that is already linked: the link is the identity, so only
// the membership status gate applies (official §2.3; Invited passes, as for a JIT user who has
// not set a master password yet).
func decideLinked(in Input) Decision {
	userID := in.LinkByExternalID.UserID
	m := in.MemberOfLinkedUser
	switch {
	case userID == "" || in.LinkByExternalID.ExternalID != in.Identity.ExternalID:
		return refuse(ReasonInconsistentInput, "")
	case m == nil || m.UserID != userID:
		return refuse(ReasonMembershipNotFound, userID)
	}
	if r := statusGate(m.Status); r != "" {
		return refuse(r, userID)
	}
	return Decision{Outcome: SignIn, UserID: userID, MemberID: m.ID}
}

// statusGate lets Invited, Accepted and Confirmed through.
func statusGate(s Status) Reason {
	switch s {
	case StatusInvited, StatusAccepted, StatusConfirmed:
		return ""
	case StatusRevoked:
		return ReasonRevoked
	}
	return ReasonUnknownState
}

// decideExistingUser handles an account that has the verified email but no link for this
// external ID (official cases A1-A6).
func decideExistingUser(in Input, u User) Decision {
	if u.ID == "" || (in.LinkByUser != nil && in.LinkByUser.UserID != u.ID) {
		return refuse(ReasonInconsistentInput, "")
	}
	m := membershipOf(in, u.ID)
	if u.UsesKeyConnector && (m == nil || m.Status == StatusInvited) {
		return refuse(ReasonKeyConnectorUser, u.ID)
	}
	if m == nil {
		return refuse(ReasonMembershipRequired, u.ID)
	}
	switch m.Status {
	case StatusAccepted, StatusConfirmed:
		if m.UserID == "" {
			return refuse(ReasonUnknownState, u.ID) // not a real row: accepting binds an account
		}
		return linkAccount(in, u, Decision{Outcome: LinkExisting, UserID: u.ID, MemberID: m.ID})
	case StatusInvited:
		// Only an account that has joined may be bound by email: an existing account accepts its
		// invitation first, signed in as itself, and SSO links it afterwards.
		return refuse(ReasonInviteAcceptanceRequired, u.ID)
	}
	return refuse(statusGate(m.Status), u.ID)
}

// membershipOf is the account's membership in the org, else the org's invitation row for the
// email that is not bound to any account yet.
func membershipOf(in Input, userID string) *Member {
	if m := in.MemberByUser; m != nil && m.UserID == userID {
		return m
	}
	if m := in.MemberByEmail; m != nil && m.UserID == "" {
		return m
	}
	return nil
}

// linkAccount completes the decision to link an existing account: the account must have proven
// the address itself (field report F3), and the changed-subject rule applies (F2).
func linkAccount(in Input, u User, d Decision) Decision {
	if !u.EmailVerified {
		return refuse(ReasonAccountEmailNotVerified, u.ID)
	}
	d.LinkExternalID = in.Identity.ExternalID
	stale := in.LinkByUser
	if stale == nil {
		d.Events = []Event{{Type: EventFirstSsoLogin, UserID: u.ID, MemberID: d.MemberID}}
		return d
	}
	if stale.ExternalID == "" || stale.ExternalID == in.Identity.ExternalID {
		return refuse(ReasonInconsistentInput, u.ID)
	}
	if !in.Org.RelinkChangedSubject {
		return refuse(ReasonSubjectChanged, u.ID)
	}
	d.ReplaceExternalID = stale.ExternalID
	d.Events = []Event{{Type: EventResetSsoLink, UserID: u.ID, MemberID: d.MemberID}}
	return d
}

// decideNewUser handles a verified email that no account has (official cases B1-B4). The
// invitation's status is checked before anything would be created (the official server creates
// the account first and refuses afterwards, B4).
func decideNewUser(in Input) Decision {
	if m := in.MemberByEmail; m != nil && m.UserID == "" {
		switch m.Status {
		case StatusInvited:
			d := Decision{Outcome: AdoptInvite, MemberID: m.ID, LinkExternalID: in.Identity.ExternalID}
			d.Events = []Event{{Type: EventFirstSsoLogin, MemberID: m.ID}}
			return d
		case StatusRevoked:
			return refuse(ReasonRevoked, "")
		}
		// Staged, or Accepted/Confirmed without an account (not a real row).
		return refuse(ReasonUnknownState, "")
	}
	if o := in.Org; o.Seats != nil && o.OccupiedSeats >= *o.Seats {
		return refuse(ReasonNoSeats, "")
	}
	return Decision{
		Outcome:        CreateUser,
		NewMember:      &NewMember{Type: TypeUser, Status: StatusInvited},
		LinkExternalID: in.Identity.ExternalID,
		Events:         []Event{{Type: EventFirstSsoLogin}},
	}
}

// refuse builds a refusal; a refusal that concerns a known account is audited against it.
func refuse(r Reason, userID string) Decision {
	d := Decision{Outcome: Refuse, Reason: r}
	if userID != "" {
		d.Events = []Event{{Type: EventUserFailedLogIn, UserID: userID}}
	}
	return d
}
