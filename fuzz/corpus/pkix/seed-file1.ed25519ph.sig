-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAOzUw7NeN1swAooEM99Xuz+Nw7ajYA/5csFlX0YlcHdY=
-----END PUBLIC KEY-----

#~~#
3hu¢VŸÜ„?rÂíD‰‹?çyÊA7T›Þ™Ç¤¨ö6¼¹÷M„¾ä¢±¿®70À&±aƒÔ@sTç
#~~#
file1
