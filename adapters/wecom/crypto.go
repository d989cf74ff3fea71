package wecom

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/silenceper/wechat/v2/util"
)

// Errors of callback verification. None of them carries message content.
var (
	// ErrSignature: msg_signature does not match the token, timestamp,
	// nonce and ciphertext.
	ErrSignature = errors.New("wecom: msg_signature does not match")
	// ErrDecrypt: the ciphertext is not valid AES-256-CBC under the
	// EncodingAESKey, or its padding or length prefix is wrong.
	ErrDecrypt = errors.New("wecom: the message does not decrypt with encoding_aes_key")
	// ErrCorpID: the receiveid inside the decrypted message is not our corp id.
	ErrCorpID = errors.New("wecom: the message is for another corp id")
	// ErrStale: the timestamp is more than 5 minutes old, or in the future.
	ErrStale = errors.New("wecom: the request's timestamp is stale or in the future")
)

// Crypto verifies, decrypts and encrypts callback messages by WeCom's
// scheme (加解密方案说明, https://developer.work.weixin.qq.com/document/path/90968):
//
//	msg_signature = sha1(sort(token, timestamp, nonce, msg_encrypt))
//	AESKey        = base64(EncodingAESKey + "="), AES-256-CBC, IV = AESKey[:16]
//	plaintext     = random(16) + msg_len(4, big-endian) + msg + receiveid
//
// It is composed from github.com/silenceper/wechat/v2 util (signature.go,
// crypto.go): util.Signature, util.AESDecryptMsg (what util.DecryptMsg
// runs, called directly so that a wrong receiveid is told apart from a bad
// ciphertext) and util.EncryptMsg.
type Crypto struct {
	token  string
	key    string // the EncodingAESKey, 43 characters
	aesKey []byte
	corpID string
}

// NewCrypto checks the EncodingAESKey (43 base64 characters that decode,
// with "=", to 32 bytes) and returns the callback crypto of one app.
func NewCrypto(token, encodingAESKey, corpID string) (*Crypto, error) {
	raw, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if len(encodingAESKey) != 43 || err != nil || len(raw) != 32 {
		return nil, errors.New("wecom: encoding_aes_key must be the 43 characters WeCom shows")
	}
	if token == "" || corpID == "" {
		return nil, errors.New("wecom: the callback needs token and corp_id")
	}
	return &Crypto{token: token, key: encodingAESKey, aesKey: raw, corpID: corpID}, nil
}

// Signature returns the msg_signature of a ciphertext.
func (c *Crypto) Signature(timestamp, nonce, encrypted string) string {
	return util.Signature(c.token, timestamp, nonce, encrypted)
}

// Verify checks msg_signature in constant time. It returns ErrSignature.
func (c *Crypto) Verify(signature, timestamp, nonce, encrypted string) error {
	want := c.Signature(timestamp, nonce, encrypted)
	if subtle.ConstantTimeCompare([]byte(want), []byte(signature)) != 1 {
		return ErrSignature
	}
	return nil
}

// Decrypt returns the plaintext of a base64 ciphertext, after checking that
// the receiveid inside is our corp id. It returns ErrDecrypt or ErrCorpID.
func (c *Crypto) Decrypt(encrypted string) (plain []byte, err error) {
	cipherText, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil || len(cipherText) == 0 {
		return nil, ErrDecrypt
	}
	defer func() {
		// util's AES code indexes by the length prefix it read; a crafted
		// ciphertext must be an error, not a crash.
		if r := recover(); r != nil {
			plain, err = nil, ErrDecrypt
		}
	}()
	_, msg, receiveID, err := util.AESDecryptMsg(cipherText, c.aesKey)
	if err != nil {
		return nil, ErrDecrypt
	}
	if subtle.ConstantTimeCompare(receiveID, []byte(c.corpID)) != 1 {
		return nil, ErrCorpID
	}
	return msg, nil
}

// Encrypt returns the base64 ciphertext of plain with a fresh random prefix,
// for passive replies and for tests that play WeCom.
func (c *Crypto) Encrypt(plain []byte) (string, error) {
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("wecom: encrypt: %w", err)
	}
	out, err := util.EncryptMsg(random[:], plain, c.corpID, c.key)
	if err != nil {
		return "", fmt.Errorf("wecom: encrypt: %w", err)
	}
	return string(out), nil
}
