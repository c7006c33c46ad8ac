package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	"cashier/ui/shell"
)

// The Staff workspace is offered to holders of staff management; the
// override the GUI takes (Services.Auth) is the one the rules use up
// (Services.Permits): one registry, one use.
func TestStaffWorkspace_OfferedAndOverrideWired(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: t.TempDir(), Command: "test", Lock: true, Seed: true})
	require.NoError(t, err)
	defer s.Close()
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	clerk, _, err := s.DB.StaffByCode(ctx, "1003")
	require.NoError(t, err)

	w := staffWorkspace(s)
	require.True(t, w.Visible(shell.Session{Staff: mgr}))
	require.False(t, w.Visible(shell.Session{Staff: clerk}))

	st, err := staffDesk{s.Staff, s.DB}.CurrentStore(ctx)
	require.NoError(t, err)
	people, err := s.Staff.List(ctx, st.ID)
	require.NoError(t, err)
	require.Len(t, people, 3)

	_, err = s.Permits.Check(ctx, clerk.ID, app.PermCabinet)
	require.ErrorIs(t, err, app.ErrNoPermission)
	_, err = s.Auth.Override(ctx, "1001", "8888", clerk.ID, app.PermCabinet)
	require.NoError(t, err)
	got, err := s.Permits.Check(ctx, clerk.ID, app.PermCabinet)
	require.NoError(t, err)
	require.Equal(t, mgr.ID, got.ApprovedBy)
	_, err = s.Permits.Check(ctx, clerk.ID, app.PermCabinet)
	require.ErrorIs(t, err, app.ErrNoPermission, "used up")
	_, err = s.Auth.Override(ctx, "1003", "5678", clerk.ID, app.PermCabinet)
	require.ErrorIs(t, err, auth.ErrOverrideSelf)
}
