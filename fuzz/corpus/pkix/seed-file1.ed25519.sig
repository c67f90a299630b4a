-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAOzUw7NeN1swAooEM99Xuz+Nw7ajYA/5csFlX0YlcHdY=
-----END PUBLIC KEY-----

#~~#
„×hLòLd,<]
ƒ÷
/ÇÙbûP³VÓ:?‡°ºFÆòg}Ø¬ã<ƒòÇ×É&D’¹ ³×:¬½¹\:W#5 
#~~#
file1
