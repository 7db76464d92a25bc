"""Comments and direct messages to the brand: answered from the FAQ when it is sure and the
message is neither negative nor about an open crisis, otherwise queued for an operator. Replies
leave through a platform adapter (`platforms.py`), sent by a job after the deciding
transaction committed."""
