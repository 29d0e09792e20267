package accounts

import "context"

// VerifyMasterPassword checks the master password hash a logged-in user sends to confirm a
// sensitive action of another concern, such as deleting an organization. A mismatch, or a user
// without a master password, is a 400 with the official validation message.
func (s *Service) VerifyMasterPassword(ctx context.Context, userID, clientHash string) error {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return s.verifyOwnPassword(u, clientHash)
}
